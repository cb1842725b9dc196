// The peer for bench/load.py flow 1: node oidc-provider with ES256, one public client with PKCE,
// and an interaction that logs the benchmark account in once (then the session is reused).
// Usage: node provider.mjs PORT [REDIS_URL]   (with REDIS_URL: state in Redis, see redis_adapter.mjs)
import { generateKeyPairSync } from "node:crypto";
import Provider from "oidc-provider";
import { redisAdapter } from "./redis_adapter.mjs";

const port = Number(process.argv[2] || 3100);
const issuer = `http://localhost:${port}`;
const redisUrl = process.argv[3];
const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });

const provider = new Provider(issuer, {
  clients: [{
    client_id: "bench", token_endpoint_auth_method: "none", redirect_uris: ["https://app.example/cb"],
    response_types: ["code"], grant_types: ["authorization_code"], id_token_signed_response_alg: "ES256",
  }],
  jwks: { keys: [{ ...key, alg: "ES256", use: "sig", kid: "bench" }] },
  features: { devInteractions: { enabled: false } },
  findAccount: (ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ["hallmark-bench-cookie-key"] },
  ...(redisUrl ? { adapter: redisAdapter(redisUrl) } : {}),
  ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Session: 3600, Grant: 3600, Interaction: 600 },
});
provider.proxy = false;

provider.use(async (ctx, next) => {
  if (ctx.path.startsWith("/interaction/")) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const grant = new provider.Grant({ accountId: "bench", clientId: details.params.client_id });
    grant.addOIDCScope("openid");
    const grantId = await grant.save();
    await provider.interactionFinished(ctx.req, ctx.res,
      { login: { accountId: "bench" }, consent: { grantId } }, { mergeWithLastSubmission: false });
    return;
  }
  await next();
});

provider.listen(port, "127.0.0.1", () => console.log(`oidc-provider listening on ${issuer}`));
