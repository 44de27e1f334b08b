/**
 * A few Prometheus metrics in the text exposition format 0.0.4, without a client library: request
 * counts by route and status, submission latency histogram, accepted bytes and messages.
 */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics {
  #requests = new Map<string, number>();
  #latency = new Array<number>(BUCKETS.length + 1).fill(0);
  #latencySum = 0;
  #latencyCount = 0;
  #accepted = 0;
  #acceptedBytes = 0;
  #replayed = 0;
  #conflicts = 0;

  request(route: string, method: string, status: number): void {
    const key = `route="${route.replace(/["\\\n]/g, '_')}",method="${method}",status="${status}"`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
  }

  submission(kind: 'created' | 'replayed' | 'conflict', bytes: number, seconds: number): void {
    if (kind === 'created') {
      this.#accepted++;
      this.#acceptedBytes += bytes;
      let i = 0;
      while (i < BUCKETS.length && seconds > BUCKETS[i]!) i++;
      this.#latency[i]!++;
      this.#latencySum += seconds;
      this.#latencyCount++;
    } else if (kind === 'replayed') this.#replayed++;
    else this.#conflicts++;
  }

  render(storeKind: string): string {
    const lines: string[] = [];
    lines.push('# HELP sealpost_relay_http_requests_total HTTP requests by route, method and status.', '# TYPE sealpost_relay_http_requests_total counter');
    for (const [labels, value] of this.#requests) lines.push(`sealpost_relay_http_requests_total{${labels}} ${value}`);
    lines.push('# HELP sealpost_relay_submissions_total Submissions durably accepted.', '# TYPE sealpost_relay_submissions_total counter');
    lines.push(`sealpost_relay_submissions_total{store="${storeKind}"} ${this.#accepted}`);
    lines.push('# HELP sealpost_relay_submission_bytes_total Bytes of accepted submissions.', '# TYPE sealpost_relay_submission_bytes_total counter');
    lines.push(`sealpost_relay_submission_bytes_total ${this.#acceptedBytes}`);
    lines.push('# HELP sealpost_relay_submission_replays_total Retries answered with the first answer.', '# TYPE sealpost_relay_submission_replays_total counter');
    lines.push(`sealpost_relay_submission_replays_total ${this.#replayed}`);
    lines.push('# HELP sealpost_relay_submission_conflicts_total Reused messageIds with other content.', '# TYPE sealpost_relay_submission_conflicts_total counter');
    lines.push(`sealpost_relay_submission_conflicts_total ${this.#conflicts}`);
    lines.push('# HELP sealpost_relay_submission_seconds Time from request to durable commit.', '# TYPE sealpost_relay_submission_seconds histogram');
    let cumulative = 0;
    BUCKETS.forEach((le, i) => {
      cumulative += this.#latency[i]!;
      lines.push(`sealpost_relay_submission_seconds_bucket{le="${le}"} ${cumulative}`);
    });
    lines.push(`sealpost_relay_submission_seconds_bucket{le="+Inf"} ${this.#latencyCount}`);
    lines.push(`sealpost_relay_submission_seconds_sum ${this.#latencySum}`, `sealpost_relay_submission_seconds_count ${this.#latencyCount}`);
    return lines.join('\n') + '\n';
  }
}
