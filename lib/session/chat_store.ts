/** In-memory chat log of a session (CONTRACT §5.7): messages and artifacts, 10 000 items max. */

export const CHAT_MAX_ITEMS = 10_000;

export interface ChatMessage {
  message_id: string;
  role: "user" | "assistant" | "system";
  content: unknown;
  created_at: number;
  window_uuid: string | null;
}
export interface ChatArtifact {
  artifact_id: string;
  kind: string;
  summary: unknown;
  payload: unknown;
  payload_ref: unknown;
  body: unknown;
  created_at: number;
  window_uuid: string | null;
}

export class ChatStore {
  messages: ChatMessage[] = [];
  artifacts: ChatArtifact[] = [];
  /** Insertion order of each item, parallel to the arrays: timestamps tie within a millisecond. */
  private messageOrder: number[] = [];
  private artifactOrder: number[] = [];
  private counter = 0;

  addMessage(m: ChatMessage) {
    this.messages.push(m);
    this.messageOrder.push(++this.counter);
    this.evict();
  }
  addArtifact(a: ChatArtifact) {
    this.artifacts.push(a);
    this.artifactOrder.push(++this.counter);
    this.evict();
  }

  /** Evicts the oldest item (message or artifact, by insertion order) while over the cap. */
  private evict() {
    while (this.messages.length + this.artifacts.length > CHAT_MAX_ITEMS) {
      const m = this.messageOrder[0], a = this.artifactOrder[0];
      if (m !== undefined && (a === undefined || m < a)) {
        this.messages.shift();
        this.messageOrder.shift();
      } else {
        this.artifacts.shift();
        this.artifactOrder.shift();
      }
    }
  }
}
