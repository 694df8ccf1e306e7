import { request } from '../transport/undici.js';
import { createDispatcher } from '../transport/dispatcher.js';

/** Whether a service of the environment answers 200 over HTTPS with these credentials (trusting its CA). */
export async function answersOk(url: string, authorization: string, ca: string): Promise<boolean> {
  // A readiness probe: one attempt with a short timeout (the caller polls), the transport's trust.
  const dispatcher = createDispatcher({ ca: [ca], headersTimeoutMs: 2000 });
  try {
    const response = await request(url, { headers: { authorization }, dispatcher });
    await response.body.dump();
    return response.statusCode === 200;
  } catch {
    return false;
  } finally {
    await dispatcher.close();
  }
}
