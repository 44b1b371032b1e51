// Consume POST /api/chat the way useChat does: the AI SDK's own transport and stream reader.
// Usage: node vercel_chat.mjs URL KEY QUESTION  -> one JSON line: the final UI message + chunk types.
import { DefaultChatTransport, readUIMessageStream } from "ai";

const [url, key, question] = process.argv.slice(2);
const seen = [];
const transport = new DefaultChatTransport({
  api: url,
  headers: key ? { Authorization: `Bearer ${key}` } : {},
});
const stream = await transport.sendMessages({
  trigger: "submit-message",
  chatId: "chat-1",
  messageId: undefined,
  messages: [{ id: "m1", role: "user", parts: [{ type: "text", text: question }] }],
  abortSignal: undefined,
});
const [forReader, forLog] = stream.tee();
const logging = (async () => {
  for await (const chunk of forLog) seen.push(chunk.type);
})();
let last;
for await (const message of readUIMessageStream({ stream: forReader, terminateOnError: true })) {
  last = message;
}
await logging;
console.log(JSON.stringify({ message: last, chunks: seen }));
