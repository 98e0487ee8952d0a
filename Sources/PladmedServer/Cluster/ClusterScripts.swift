import Redis

/// The Lua scripts of ``ClusterProbeHub``; each runs atomically in Redis.
///
/// Every script takes `KEYS[1]`, the probe table (a hash: probe id → `instance connection total in_use`),
/// `KEYS[2]`, the revision counter, which each change of the table increments, and `KEYS[3]`, the liveness table (a
/// hash: instance → the Redis time, in milliseconds, until which it is alive); `ARGV[1]` is the key prefix, by which a
/// script names an instance's channel (`<prefix>instance:<instance>`). A script touches no key but these three, and
/// their names share one hash tag (`{pladmed}:`), so that Redis Cluster runs the scripts on one node.
enum ClusterScripts {
    /// `now`, Redis' time in milliseconds, and `is_alive(instance)`, remembering answers for the rest of the script.
    private static let liveness = """
        local prefix = ARGV[1]
        local now = redis.call('TIME')
        now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
        local known = {}
        local function is_alive(instance)
          if known[instance] == nil then
            local expiry = redis.call('HGET', KEYS[3], instance)
            known[instance] = expiry ~= false and tonumber(expiry) > now
          end
          return known[instance]
        end
        """

    /// ARGV: prefix, instance, milliseconds. Makes the instance alive for that long from now; forgets instances
    /// dead for a minute; returns 1 if it was alive until now, 0 if its liveness was lost (Redis restarted, or the
    /// instance was cut off past it).
    static let renew = RedisScript(liveness + """

        local was = is_alive(ARGV[2])
        redis.call('HSET', KEYS[3], ARGV[2], now + tonumber(ARGV[3]))
        local all = redis.call('HGETALL', KEYS[3])
        for i = 1, #all, 2 do
          if tonumber(all[i + 1]) < now - 60000 then redis.call('HDEL', KEYS[3], all[i]) end
        end
        if was then return 1 end
        return 0
        """)

    /// ARGV: prefix, probe, entry, this instance. Sets the probe's entry; when another live instance held the probe,
    /// tells it to close that connection (`C\nprobe connection`).
    static let attach = RedisScript(liveness + """

        local old = redis.call('HGET', KEYS[1], ARGV[2])
        redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
        redis.call('INCR', KEYS[2])
        if old then
          local instance, connection = string.match(old, '^(%S+) (%S+)')
          if instance ~= ARGV[4] and is_alive(instance) then
            redis.call('PUBLISH', prefix .. 'instance:' .. instance, 'C\\n' .. ARGV[2] .. ' ' .. connection)
          end
        end
        return 1
        """)

    /// ARGV: prefix, instance. Takes the instance's liveness away (a graceful stop).
    static let leave = RedisScript("""
        redis.call('HDEL', KEYS[3], ARGV[2])
        return 1
        """)

    /// ARGV: prefix, probe, instance, connection. Removes the probe's entry if it is still that connection's; 1 if
    /// it did.
    static let detach = RedisScript("""
        local entry = redis.call('HGET', KEYS[1], ARGV[2])
        if entry and string.match(entry, '^(%S+ %S+)') == ARGV[3] .. ' ' .. ARGV[4] then
          redis.call('HDEL', KEYS[1], ARGV[2])
          redis.call('INCR', KEYS[2])
          return 1
        end
        return 0
        """)

    /// ARGV: prefix, probe, instance, connection, delta. Adds `delta` to the in-use credits of the probe's entry if it
    /// is still that connection's, kept between 0 and the total; the new in-use credits as text, or nil.
    static let adjust = RedisScript("""
        local entry = redis.call('HGET', KEYS[1], ARGV[2])
        if not entry then return false end
        local instance, connection, total, in_use = string.match(entry, '^(%S+) (%S+) (%S+) (%S+)$')
        if instance ~= ARGV[3] or connection ~= ARGV[4] then return false end
        total, in_use = tonumber(total), tonumber(in_use)
        local updated = math.min(math.max(0, in_use + tonumber(ARGV[5])), total)
        if updated ~= in_use then
          redis.call('HSET', KEYS[1], ARGV[2], instance .. ' ' .. connection .. ' ' .. string.format('%.17g', total)
            .. ' ' .. string.format('%.17g', updated))
          redis.call('INCR', KEYS[2])
        end
        return string.format('%.17g', updated)
        """)

    /// ARGV: prefix, probe ids. For each probe, its entry if its instance is alive, else nil.
    static let lookup = RedisScript(liveness + """

        local found = {}
        for i = 2, #ARGV do
          local entry = redis.call('HGET', KEYS[1], ARGV[i])
          if entry and is_alive(string.match(entry, '^(%S+)')) then
            found[i - 1] = entry
          else
            found[i - 1] = false
          end
        end
        return found
        """)

    /// ARGV: prefix, this instance, kind, payload, probe ids. Publishes the job once to each other live instance
    /// holding some of the probes (`J\nprobe probe ...\nkind\npayload`); returns two lists: the probes held here,
    /// and those handed to an instance that was listening.
    static let dispatch = RedisScript(liveness + """

        local here, order, groups = {}, {}, {}
        for i = 5, #ARGV do
          local entry = redis.call('HGET', KEYS[1], ARGV[i])
          if entry then
            local instance = string.match(entry, '^(%S+)')
            if instance == ARGV[2] then
              table.insert(here, ARGV[i])
            elseif is_alive(instance) then
              if not groups[instance] then
                groups[instance] = {}
                table.insert(order, instance)
              end
              table.insert(groups[instance], ARGV[i])
            end
          end
        end
        local handed = {}
        for _, instance in ipairs(order) do
          local message = 'J\\n' .. table.concat(groups[instance], ' ') .. '\\n' .. ARGV[3] .. '\\n' .. ARGV[4]
          if redis.call('PUBLISH', prefix .. 'instance:' .. instance, message) > 0 then
            for _, probe in ipairs(groups[instance]) do table.insert(handed, probe) end
          end
        end
        return {here, handed}
        """)

    /// ARGV: prefix, this instance, then pairs of probe and entry: this instance's whole table. Removes this
    /// instance's entries that are not in it, and sets those that are, unless another live instance holds the probe.
    static let sync = RedisScript(liveness + """

        local keep = {}
        for i = 3, #ARGV, 2 do keep[ARGV[i]] = ARGV[i + 1] end
        local all = redis.call('HGETALL', KEYS[1])
        local holders = {}
        for i = 1, #all, 2 do
          local instance = string.match(all[i + 1], '^(%S+)')
          holders[all[i]] = instance
          if instance == ARGV[2] and not keep[all[i]] then redis.call('HDEL', KEYS[1], all[i]) end
        end
        for probe, entry in pairs(keep) do
          local holder = holders[probe]
          if holder == nil or holder == ARGV[2] or not is_alive(holder) then
            redis.call('HSET', KEYS[1], probe, entry)
          end
        end
        redis.call('INCR', KEYS[2])
        return 1
        """)

    /// ARGV: prefix, cursor, count, grace in milliseconds. One step of a scan of the table removing the entries of
    /// instances dead for longer than the grace (an instance whose heartbeat came late, under load, keeps its entries:
    /// they count again as soon as it renews); the next cursor (`0` when the scan is done).
    static let sweep = RedisScript("""
        local now = redis.call('TIME')
        now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
        local grace = tonumber(ARGV[4])
        local gone = {}
        local function is_gone(instance)
          if gone[instance] == nil then
            local expiry = redis.call('HGET', KEYS[3], instance)
            gone[instance] = expiry == false or tonumber(expiry) + grace < now
          end
          return gone[instance]
        end
        local step = redis.call('HSCAN', KEYS[1], ARGV[2], 'COUNT', ARGV[3])
        local removed = 0
        local fields = step[2]
        for i = 1, #fields, 2 do
          if is_gone(string.match(fields[i + 1], '^(%S+)')) then
            redis.call('HDEL', KEYS[1], fields[i])
            removed = removed + 1
          end
        end
        if removed > 0 then redis.call('INCR', KEYS[2]) end
        return step[1]
        """)
}
