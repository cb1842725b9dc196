// bench only: an oidc-provider adapter that keeps every model in Redis (each a hash with its TTL),
// with the grant, session-uid and user-code indexes the provider looks things up by. It gives the
// peer what Hallmark has and the default in-memory adapter lacks: state that outlives the process
// and is shared by several processes, at the price of a store round trip per operation.
import Redis from "ioredis";

const GRANTABLE = new Set(["AccessToken", "AuthorizationCode", "RefreshToken", "DeviceCode",
  "BackchannelAuthenticationRequest"]);

export function redisAdapter(url) {
  const redis = new Redis(url, { keyPrefix: "oidc:" });

  return class RedisAdapter {
    constructor(model) {
      this.model = model;
    }

    key(id) {
      return `${this.model}:${id}`;
    }

    async upsert(id, payload, expiresIn) {
      const key = this.key(id);
      const batch = redis.multi().del(key).hset(key, "payload", JSON.stringify(payload));
      const indexes = [];
      if (GRANTABLE.has(this.model) && payload.grantId) {
        batch.rpush(`grant:${payload.grantId}`, key);
        indexes.push(`grant:${payload.grantId}`);
      }
      if (payload.uid) batch.set(`uid:${payload.uid}`, id);
      if (payload.userCode) batch.set(`userCode:${payload.userCode}`, id);
      if (payload.uid) indexes.push(`uid:${payload.uid}`);
      if (payload.userCode) indexes.push(`userCode:${payload.userCode}`);
      if (expiresIn) {
        for (const name of [key, ...indexes]) batch.expire(name, expiresIn);
      }
      await batch.exec();
    }

    async find(id) {
      const stored = await redis.hgetall(this.key(id));
      if (!stored.payload) return undefined;
      const payload = JSON.parse(stored.payload);
      if (stored.consumed) payload.consumed = Number(stored.consumed);
      return payload;
    }

    async findByUid(uid) {
      const id = await redis.get(`uid:${uid}`);
      return id ? this.find(id) : undefined;
    }

    async findByUserCode(userCode) {
      const id = await redis.get(`userCode:${userCode}`);
      return id ? this.find(id) : undefined;
    }

    async consume(id) {
      await redis.hset(this.key(id), "consumed", Math.floor(Date.now() / 1000));
    }

    async destroy(id) {
      await redis.del(this.key(id));
    }

    async revokeByGrantId(grantId) {
      const members = await redis.lrange(`grant:${grantId}`, 0, -1);
      await redis.multi().del(...members, `grant:${grantId}`).exec();
    }
  };
}
