/** Disposable temporary directories for tests (`await using dir = await tmpDir()`). */
export async function tmpDir(prefix = "anna-test-"): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}
