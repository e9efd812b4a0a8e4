-- wrk script of bench/ari-load.sh: at the end of a run, one line
-- "wrk_report key=value ..." with the request count, the rate, the bytes per response, the
-- latency percentiles (wrk keeps them in microseconds) and the errors by kind.
done = function(summary, latency, requests)
   local n = summary.requests
   local e = summary.errors
   io.write(string.format(
      "wrk_report requests=%d rps=%.1f bytes_per_resp=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f "
         .. "err_status=%d err_connect=%d err_read=%d err_write=%d err_timeout=%d\n",
      n, n / (summary.duration / 1e6), n > 0 and summary.bytes / n or 0,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      e.status, e.connect, e.read, e.write, e.timeout))
end
