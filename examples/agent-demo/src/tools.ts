// The agents' tools: real functions over small in-memory data, and the JSON schemas the models see.

export interface ToolDefinition {
  name: string;
  description: string;
  parameters: {
    type: 'object';
    properties: Record<string, { type: string; description: string }>;
    required: string[];
  };
}

const DOCS = [
  {
    title: 'Refund policy',
    body: 'Refunds are issued to the original payment method within 5 business days of approval.',
  },
  {
    title: 'Shipping times',
    body: 'Standard shipping takes 3 to 5 days; express shipping arrives the next business day.',
  },
  {
    title: 'Double charges',
    body: 'A duplicate authorisation disappears within 48 hours; a duplicate capture is refunded.',
  },
  {
    title: 'Changing an order',
    body: 'Orders can be changed until they are packed, usually within two hours of purchase.',
  },
  {
    title: 'Invoices',
    body: 'Invoices are emailed when an order ships and can be downloaded from the account page.',
  },
  {
    title: 'Weather delays',
    body: 'Severe weather can delay deliveries by one or two days; tracking shows the new date.',
  },
];

const CITIES = ['Berlin', 'Paris', 'London', 'Lisbon', 'Tokyo', 'Oslo', 'Madrid', 'Rome'];
const ORDER_STATES = ['processing', 'packed', 'shipped', 'delivered', 'refund pending'];

function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

function stableHash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) >>> 0;
  return h;
}

/** Docs ranked by shared words with the query; the best two. */
export function searchDocs(query: string): { title: string; snippet: string }[] {
  const q = new Set(words(query));
  return DOCS.map((doc) => ({ doc, score: words(`${doc.title} ${doc.body}`).filter((w) => q.has(w)).length }))
    .sort((a, b) => b.score - a.score)
    .slice(0, 2)
    .map(({ doc }) => ({ title: doc.title, snippet: doc.body }));
}

export function getWeather(place: string): { city: string; temperatureC: number; conditions: string } {
  const city = CITIES.find((c) => place.toLowerCase().includes(c.toLowerCase())) ?? 'Berlin';
  const h = stableHash(city + new Date().toISOString().slice(0, 10));
  return {
    city,
    temperatureC: (h % 30) - 5,
    conditions: ['sunny', 'cloudy', 'rain', 'snow', 'windy'][h % 5]!,
  };
}

export function lookupOrder(
  orderId: number,
): { orderId: number; status: string; total: number } | { error: string } {
  if (!Number.isInteger(orderId) || orderId < 1) return { error: `no order ${orderId}` };
  const h = stableHash(String(orderId));
  return { orderId, status: ORDER_STATES[h % ORDER_STATES.length]!, total: 10 + (h % 490) };
}

export const TOOLS: Record<string, ToolDefinition> = {
  search_docs: {
    name: 'search_docs',
    description: 'Search the help-centre articles.',
    parameters: {
      type: 'object',
      properties: { query: { type: 'string', description: 'What to look for' } },
      required: ['query'],
    },
  },
  get_weather: {
    name: 'get_weather',
    description: 'Current weather for a city (delivery delays).',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string', description: 'City name' } },
      required: ['city'],
    },
  },
  lookup_order: {
    name: 'lookup_order',
    description: 'Status and total of an order.',
    parameters: {
      type: 'object',
      properties: { order_id: { type: 'integer', description: 'The order number' } },
      required: ['order_id'],
    },
  },
  transfer_to_billing: {
    name: 'transfer_to_billing',
    description: 'Hand the conversation to the billing agent (payments, refunds, invoices).',
    parameters: {
      type: 'object',
      properties: { reason: { type: 'string', description: 'Why billing should take over' } },
      required: ['reason'],
    },
  },
};

/** Runs a tool by name on the model's arguments; unknown tools and bad arguments become error results. */
export function runTool(name: string, args: Record<string, unknown>): unknown {
  switch (name) {
    case 'search_docs':
      return searchDocs(String(args.query ?? ''));
    case 'get_weather':
      return getWeather(String(args.city ?? ''));
    case 'lookup_order':
      return lookupOrder(Number(args.order_id));
    default:
      return { error: `unknown tool ${name}` };
  }
}
