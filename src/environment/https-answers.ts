import { Agent, request } from 'undici';

/** Whether a service of the environment answers 200 over HTTPS with these credentials (trusting its CA). */
export async function answersOk(url: string, authorization: string, ca: string): Promise<boolean> {
  const dispatcher = new Agent({ connect: { ca } });
  try {
    const response = await request(url, { headers: { authorization }, dispatcher, headersTimeout: 2000 });
    await response.body.dump();
    return response.statusCode === 200;
  } catch {
    return false;
  } finally {
    await dispatcher.close();
  }
}
