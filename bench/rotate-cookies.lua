-- wrk script: each request sends the Cookie header of the next of many sessions (one per line in
-- the file named by COOKIES_FILE), so that requests rarely meet on one session's lock, as with
-- real visitors. Each wrk thread starts at its own place in the list.
local cookies = {}
for line in io.lines(os.getenv("COOKIES_FILE")) do
  if line ~= "" then cookies[#cookies + 1] = line end
end

local next_id = 0
function setup(thread)
  thread:set("offset", next_id * 7919)
  next_id = next_id + 1
end

local i = 0
function request()
  i = i + 1
  local cookie = cookies[((offset or 0) + i) % #cookies + 1]
  return wrk.format(nil, nil, { Cookie = cookie })
end
