/** What `fn` throws, for asserting on its fields; fails the test when it throws nothing. */
export function errorOf(fn: () => unknown): any {
	try {
		fn();
	} catch (err) {
		return err;
	}
	throw new Error("expected an error");
}
