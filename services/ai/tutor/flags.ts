/**
 * Exchanges a teacher must see: a student in distress, an attempt to cheat (asking for the answers of a
 * test, or to make the tutor do the exercise), abuse, or an attempt to override the tutor's instructions.
 * Keyword rules in French and English on the folded question; deliberately broad (a teacher reading a
 * false alarm costs less than a missed one). A flagged exchange notifies the path's teacher.
 */
import type { Flag } from "../ai-types.js";
import { foldAccents } from "../retrieval/terms.js";

const RULES: Record<Flag, RegExp[]> = {
	distress: [
		/\b(kill myself|suicid|end my life|want to die|hurt myself|self[- ]harm|no reason to live|i hate my life|being bullied|they bully me|i'?m scared to go home|abused at home)/,
		/\b(me tuer|me suicider|suicid|en finir|envie de mourir|veux mourir|me faire du mal|me scarifier|plus envie de vivre|je deteste ma vie|harcele|harcelement|on me frappe|peur de rentrer)/,
	],
	cheating: [
		/\b(give me the (?:answer|solution)s?|just (?:tell|give) me the answer|answers? (?:to|of|for) the (?:test|exam|quiz|evaluation)|do my homework|solve it for me|what is the correct (?:answer|choice))/,
		/\b(donne[- ]?moi (?:la|les) (?:reponse|solution)s?|dis[- ]?moi (?:la|juste la) reponse|reponses? (?:du|de l'|de la) (?:controle|examen|evaluation|test|interro)|fais (?:mon|mes) (?:devoir|exercice)s?|quelle est la bonne reponse)/,
	],
	abuse: [/\b(fuck|shit|bitch|bastard|idiot|stupid bot|asshole|retard)/, /\b(connard|connasse|salope|encule|putain|merde|debile|abruti|ta gueule|nique)/],
	injection: [
		/\b(ignore (?:all |your |the )?(?:previous |prior )?(?:instructions|rules)|system prompt|you are now|pretend (?:to be|you are)|jailbreak|developer mode)/,
		/\b(ignore (?:tes|les|toutes les) (?:instructions|consignes|regles)|oublie (?:tes|les) (?:instructions|consignes)|tu es maintenant|fais comme si tu etais)/,
	],
};

export function detectFlags(question: string): Flag[] {
	const q = foldAccents(question.toLowerCase());
	return (Object.keys(RULES) as Flag[]).filter(flag => RULES[flag].some(rule => rule.test(q)));
}
