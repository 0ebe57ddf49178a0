// A load generator, run as a second process: N concurrent clients send requests to a
// server on loopback and report every status and latency.
interface Job {
  url: string;
  concurrency: number;
  total: number;
  requests: { method: string; path: string; key?: string; body?: unknown }[];
}

process.on('message', async (job: Job) => {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  const t0 = performance.now();
  const client = async () => {
    for (;;) {
      const i = next++;
      if (i >= job.total) return;
      const r = job.requests[i % job.requests.length] as Job['requests'][number];
      const s = performance.now();
      let status = 'lost';
      try {
        const res = await fetch(`${job.url}${r.path}`, {
          method: r.method,
          headers: { ...(r.key ? { authorization: `Bearer ${r.key}` } : {}), ...(r.body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(r.body !== undefined ? { body: typeof r.body === 'string' ? r.body : JSON.stringify(r.body) } : {}),
        });
        await res.arrayBuffer();
        status = String(res.status);
      } catch {
        status = 'lost';
      }
      latencies.push(performance.now() - s);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, client));
  const wall = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  process.send?.({ rps: (job.total / wall) * 1000, p50: q(0.5), p99: q(0.99), statuses });
});
