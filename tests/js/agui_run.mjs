// Consume POST /api/agui with the AG-UI client (what CopilotKit builds on).
// Usage: node agui_run.mjs URL KEY QUESTION  -> one JSON line: event types, custom events, messages.
import { HttpAgent } from "@ag-ui/client";

const [url, key, question] = process.argv.slice(2);
const agent = new HttpAgent({ url, headers: key ? { Authorization: `Bearer ${key}` } : {} });
agent.addMessage({ id: "m1", role: "user", content: question });
const events = [];
const custom = {};
await agent.runAgent(
  { runId: "run-1" },
  {
    onEvent({ event }) {
      events.push(event.type);
      if (event.type === "CUSTOM") custom[event.name] = event.value;
    },
  },
);
console.log(JSON.stringify({ events, custom, messages: agent.messages }));
