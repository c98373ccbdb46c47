-- wrk script for make bench: replays the signed envelope uploads that
-- `att-logbench requests` wrote (one use each: every request has its own nonce).
-- Usage: wrk -t THREADS -s scripts/wrk-post.lua URL -- REQUESTS_FILE THREADS
-- Each thread takes every n-th request; when a thread runs out it sends GET /healthz,
-- which is not counted. done() prints "created <n>" (201 answers) and the p99.
local threads = {}
local mine = {}
local sent = 0
created = 0
other = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  -- `id` is set by setup() in this thread's globals; args[2] is the thread count.
  local n = tonumber(args[2])
  local f = assert(io.open(args[1], "rb"))
  local k = 0
  while true do
    local auth = f:read("*l")
    if not auth then break end
    local len = tonumber(f:read("*l"))
    local body = f:read(len)
    if k % n == id then
      mine[#mine + 1] = wrk.format("POST", "/v1/envelopes",
        { ["Authorization"] = auth, ["Content-Type"] = "application/octet-stream" }, body)
    end
    k = k + 1
  end
  f:close()
end

function request()
  sent = sent + 1
  if sent <= #mine then return mine[sent] end
  return wrk.format("GET", "/healthz")
end

function response(status, headers, body)
  if status == 201 then created = created + 1 elseif status ~= 200 then other = other + 1 end
end

function done(summary, latency, requests)
  local c, o = 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    o = o + t:get("other")
  end
  io.write(string.format("created %d\nother %d\nduration_us %d\np50_us %d\np99_us %d\n",
    c, o, summary.duration, latency:percentile(50), latency:percentile(99)))
end
