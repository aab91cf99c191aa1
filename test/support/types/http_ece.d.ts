/** http_ece ships no types: the one function the web push test uses. */
declare module "http_ece" {
	export function decrypt(buffer: Buffer, params: { version: string; privateKey?: unknown; authSecret?: string; keyid?: string }): Buffer;
	const ece: { decrypt: typeof decrypt };
	export default ece;
}
