import { createHmac, timingSafeEqual } from "node:crypto";

/** Where signed image links point; the rest of the path is the artifact's name. */
export const IMAGE_FILES_PREFIX = "/v1/images/files/";

const SIGNATURE = /^[0-9a-f]{64}$/;
const EXPIRES = /^[0-9]{1,12}$/;

/**
 * Links to stored artifacts that work without an API key (a browser loads them from an `<img>`),
 * so the link itself is the permission: an HMAC-SHA256 over the artifact name and the expiry,
 * with a key every ingress process of the deployment shares. An artifact name begins with the
 * job id it belongs to (`<jobId>/<file>`), and only the job's own tenant ever receives a
 * signature for it: another tenant can neither guess the id nor forge the signature.
 *
 * @example
 * const signer = createUrlSigner(config.signingSecret);
 * signer.url("https://api.example.com", "job_abc/0.png", 1719171600);
 */
export interface UrlSigner {
  /** Hex HMAC-SHA256 of `<name>\n<expires>`. */
  sign(name: string, expires: number): string;
  /** Whether `signature` is valid for `name` until `expires` (unix seconds) and `expires` is not past. */
  verify(name: string, expires: string | undefined, signature: string | undefined, nowS: number): boolean;
  /** The absolute link: `<base>/v1/images/files/<name>?expires=<unix s>&signature=<hex>`. */
  url(base: string, name: string, expires: number): string;
}

export function createUrlSigner(secret: string): UrlSigner {
  const sign = (name: string, expires: number): string =>
    createHmac("sha256", secret).update(`${name}\n${expires}`).digest("hex");
  return {
    sign,
    verify(name, expires, signature, nowS) {
      if (expires === undefined || signature === undefined) return false;
      if (!EXPIRES.test(expires) || !SIGNATURE.test(signature)) return false;
      const at = Number(expires);
      if (at < nowS) return false;
      // Both are 32 bytes here (the pattern above), as timingSafeEqual requires.
      return timingSafeEqual(Buffer.from(sign(name, at), "hex"), Buffer.from(signature, "hex"));
    },
    url(base, name, expires) {
      const path = name.split("/").map(encodeURIComponent).join("/");
      return `${base}${IMAGE_FILES_PREFIX}${path}?expires=${expires}&signature=${sign(name, expires)}`;
    },
  };
}
