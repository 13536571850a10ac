// [registry[:port]/]path[:tag][@sha256:digest]; a tag or a digest is required so every image is pinned.
const IMAGE = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$/;

/** A container image reference that names a tag or a digest (never an implied or explicit `:latest`). */
export function isPinnedImage(image: unknown): image is string {
  return typeof image === "string" && IMAGE.test(image) && !image.endsWith(":latest") && /(:[^/]+|@sha256:[0-9a-f]{64})$/.test(image);
}
