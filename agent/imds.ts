import type { ImdsGet } from "./config";

const IMDS = "http://169.254.169.254/latest";

/**
 * IMDSv2 (session token, then the GET): https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html.
 * With hostNetwork the default hop limit of 1 reaches it. `fetchImpl` is injectable for tests.
 */
export function imdsV2(fetchImpl: typeof fetch = fetch, timeoutMs = 2000): ImdsGet {
  let token: { value: string; expires: number } | undefined;
  const ttl = 21600;
  return async (path: string) => {
    if (!token || token.expires < Date.now()) {
      const res = await fetchImpl(`${IMDS}/api/token`, {
        method: "PUT",
        headers: { "X-aws-ec2-metadata-token-ttl-seconds": String(ttl) },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) throw new Error(`IMDSv2 token: HTTP ${res.status}`);
      token = { value: await res.text(), expires: Date.now() + (ttl - 60) * 1000 };
    }
    const res = await fetchImpl(`${IMDS}/${path}`, { headers: { "X-aws-ec2-metadata-token": token.value }, signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new Error(`IMDSv2 ${path}: HTTP ${res.status}`);
    return res.text();
  };
}
