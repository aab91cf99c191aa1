/**
 * The archive a person's data export is: a ZIP (fflate) of JSON files, one per section of each part of
 * the platform (`<part>/<section>.json`, an array of records), a `manifest.json` saying what is in it
 * and what is not, and a short README for a human. Pure: unit-tested without a broker.
 */
import { strToU8, zipSync } from "fflate";

export interface ExportSection {
	part: string;
	section: string;
	rows: unknown[];
}

export interface ExportManifest {
	format: "learning-platform-personal-data";
	version: 1;
	generatedAt: string;
	subject: { userId: string; schoolId: string };
	requestedBy: string;
	files: { path: string; part: string; section: string; records: number }[];
	notKept: string[];
}

const README = `Your data, as the learning platform holds it.

manifest.json lists every file, the part of the platform it comes from and how many records it holds.
Each <part>/<section>.json is a JSON array of records, with dates in ISO 8601 (UTC) and ids as hex strings.

Not in this archive: passwords and tokens (only their hashes are stored, and those are left out), the
course material of your teachers, and other people's messages.
`;

export function buildArchive(sections: ExportSection[], meta: Omit<ExportManifest, "format" | "version" | "files" | "notKept">): { zip: Uint8Array; manifest: ExportManifest } {
	const files: Record<string, Uint8Array> = {};
	const manifest: ExportManifest = {
		format: "learning-platform-personal-data",
		version: 1,
		...meta,
		files: [],
		notKept: ["password and token hashes", "other people's messages", "course material written by teachers"],
	};
	for (const s of sections) {
		const path = `${s.part}/${s.section}.json`;
		files[path] = strToU8(JSON.stringify(s.rows, null, 1));
		manifest.files.push({ path, part: s.part, section: s.section, records: s.rows.length });
	}
	files["manifest.json"] = strToU8(JSON.stringify(manifest, null, 2));
	files["README.txt"] = strToU8(README);
	return { zip: zipSync(files, { level: 6 }), manifest };
}
