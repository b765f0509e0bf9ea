/** The bare floor over raw `postMessage`: request ids in, responses out (see bare-sqlite.ts). */
import { handle } from './bare-sqlite.ts';
import type { BareRequest, BareResponse } from './latency-protocol.ts';

onmessage = async (e: MessageEvent<BareRequest>) => {
  let response: BareResponse;
  try {
    const { id, ...req } = e.data;
    response = { id, result: await handle(req) };
  } catch (err) {
    response = { id: e.data.id, error: String(err) };
  }
  postMessage(response);
};
