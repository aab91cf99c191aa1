/**
 * The words BM25 compares, for French and English alike: lower case, accents folded (élève = eleve),
 * split on anything that is not a letter or digit, common function words dropped, and a light
 * plural strip (-s, -x) so "cellules" meets "cellule". Shared by indexing and queries.
 */
const STOPWORDS = new Set(
	(
		"a an and are as at be but by for from has have how i if in into is it its of on or that the their them then there these they this to was " +
		"were what when where which who whom why will with you your do does did can could would should about than so not no " +
		"au aux avec ce ces cet cette dans de des du elle elles en est et eu il ils je la le les leur leurs lui ma mais me meme mes moi mon ne nos notre " +
		"nous on ou par pas pour qu que qui quoi quel quelle quels quelles sa se ses son sont sur ta te tes toi ton tu un une vos votre vous y l d c j n s " +
		"m t qu est-ce comment pourquoi quand combien ont été etre être fait faire sont sera"
	).split(/\s+/),
);

export function foldAccents(text: string): string {
	return text.normalize("NFD").replace(/\p{M}+/gu, "");
}

export function stem(term: string): string {
	if (term.length > 4 && /[sx]$/.test(term) && !/ss$/.test(term)) return term.slice(0, -1);
	return term;
}

/** One term as indexed or searched, or null for a word that carries no meaning on its own. */
export function processTerm(raw: string): string | null {
	const term = foldAccents(raw.toLowerCase());
	if (term.length === 0 || STOPWORDS.has(term) || STOPWORDS.has(raw.toLowerCase())) return null;
	return stem(term);
}

export function tokenize(text: string): string[] {
	return text.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

/** The distinct content terms of a text. */
export function contentTerms(text: string): string[] {
	return [...new Set(tokenize(text).map(processTerm).filter((t): t is string => t !== null))];
}
