/** The local-only `dev` block (CONTRACT §3.6): fixtures, mocks, seed storage, user id. */
import { byteSize, isPlainObject } from "../util/json.ts";
import { at, type Diags, show, typeName, unknownKeys } from "./diag.ts";
import type { EffectiveManifest } from "./types.ts";

const DEV_KEYS = ["fixtures", "mocks", "seed_storage", "user_id"];
const SEED_STORAGE_MAX = 262144;

export function checkDev(raw: unknown, d: Diags): EffectiveManifest["dev"] {
  const out: EffectiveManifest["dev"] = {
    fixtures: [],
    mocks: {},
    seed_storage: null,
    user_id: null,
  };
  if (raw === undefined) return out;
  if (!isPlainObject(raw)) {
    d.warn("field_invalid", "dev", `dev must be an object, got ${typeName(raw)}; it is ignored`);
    return out;
  }
  unknownKeys(raw, DEV_KEYS, "dev", d);
  const fx = raw.fixtures;
  if (fx !== undefined) {
    if (!Array.isArray(fx)) {
      d.warn(
        "dev_fixtures_invalid",
        "dev.fixtures",
        `dev.fixtures must be a list of glob strings, got ${typeName(fx)}; it is ignored`,
      );
    } else {
      fx.forEach((g, i) => {
        if (typeof g === "string" && g !== "") out.fixtures.push(g);
        else {
          d.warn(
            "dev_fixtures_invalid",
            at("dev.fixtures", i),
            `dev.fixtures entry ${show(g)} is dropped: it must be a non-empty glob string`,
          );
        }
      });
    }
  }
  const mocks = raw.mocks;
  if (mocks !== undefined) {
    if (!isPlainObject(mocks)) {
      d.warn(
        "dev_mocks_invalid",
        "dev.mocks",
        `dev.mocks must be an object {"ns.method": response}, got ${typeName(mocks)}; ignored`,
      );
    } else {
      for (const [k, v] of Object.entries(mocks)) {
        const dot = k.indexOf(".");
        if (dot > 0 && dot < k.length - 1) out.mocks[k] = v;
        else {
          d.warn(
            "dev_mocks_invalid",
            at("dev.mocks", k),
            `dev.mocks key ${JSON.stringify(k)} is dropped: keys must look like "ns.method"`,
          );
        }
      }
    }
  }
  const seed = raw.seed_storage;
  if (seed !== undefined) {
    if (!isPlainObject(seed)) {
      d.warn(
        "seed_storage_invalid",
        "dev.seed_storage",
        `dev.seed_storage must be an object, got ${typeName(seed)}; it is ignored`,
      );
    } else if (byteSize(seed) > SEED_STORAGE_MAX) {
      d.warn(
        "seed_storage_invalid",
        "dev.seed_storage",
        `dev.seed_storage is ${byteSize(seed)} bytes (max ${SEED_STORAGE_MAX}); it is ignored`,
      );
    } else out.seed_storage = seed;
  }
  const uid = raw.user_id;
  if (uid !== undefined) {
    if (Number.isSafeInteger(uid) && (uid as number) >= 0) out.user_id = uid as number;
    else {
      d.warn(
        "dev_user_id_invalid",
        "dev.user_id",
        `dev.user_id must be an integer >= 0, got ${show(uid)}; using 1`,
      );
    }
  }
  return out;
}
