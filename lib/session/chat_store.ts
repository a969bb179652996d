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

  addMessage(m: ChatMessage) {
    this.messages.push(m);
    this.evict();
  }
  addArtifact(a: ChatArtifact) {
    this.artifacts.push(a);
    this.evict();
  }

  /** Evicts the oldest item (message or artifact) while over the cap. */
  private evict() {
    while (this.messages.length + this.artifacts.length > CHAT_MAX_ITEMS) {
      const m = this.messages[0], a = this.artifacts[0];
      if (m && (!a || m.created_at <= a.created_at)) this.messages.shift();
      else this.artifacts.shift();
    }
  }
}
