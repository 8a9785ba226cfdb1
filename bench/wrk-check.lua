-- wrk script for `advisor serve` (bench/serve.sh): POSTs one body to the URL wrk is given.
--   BODY_FILE     file whose bytes are the body (default: one JSON order, below)
--   CONTENT_TYPE  its media type (default application/json)
--   ORDERS        orders per request, for the orders/s line (default 1)
-- At the end it prints one line that bench/serve.sh parses:
--   RESULT requests=N errors=N non2xx=N rps=R orders_per_s=R p50_ms=X p99_ms=X p999_ms=X max_ms=X
local body = '{"instrument":"AAPL","side":"buy","quantity":10,"stop":150}'
local file = os.getenv("BODY_FILE")
if file and file ~= "" then
  local f = assert(io.open(file, "rb"))
  body = f:read("*a")
  f:close()
end
local orders = tonumber(os.getenv("ORDERS") or "1")

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = os.getenv("CONTENT_TYPE") or "application/json"

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local rps = summary.requests / seconds
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    "RESULT requests=%d errors=%d non2xx=%d rps=%.1f orders_per_s=%.0f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f\n",
    summary.requests, errors, summary.errors.status, rps, rps * orders,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, latency.max / 1000))
end
