/**
 * A message body as a run's trigger payload: JSON when it parses, so `{"version": 3}` is recorded as
 * an object; otherwise the text as sent. Bus messages are not always JSON, and a firing should not be
 * lost over that.
 */
export function messagePayload(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
