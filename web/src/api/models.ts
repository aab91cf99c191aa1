/**
 * The response shapes the client reads, as docs/ACTIONS.md and docs/LEARNING.md describe them (the
 * OpenAPI document types requests only). Only the fields used here are listed.
 */
export type Role = "platform_admin" | "school_admin" | "teacher" | "student" | "support";

export interface User {
	id: string;
	schoolId: string | null;
	roles: Role[];
	email?: string | null;
	username?: string | null;
	firstName?: string;
	lastName?: string;
	locale?: string;
}

export interface TokenPair {
	accessToken: string;
	refreshToken: string;
	expiresIn: number;
	tokenType: "Bearer";
	user: User;
}

export interface Page<T> {
	rows: T[];
	total: number;
	page: number;
	pageSize: number;
	totalPages: number;
}

export interface SchoolClass {
	id: string;
	name: string;
	subject?: string | null;
	level?: string | null;
	teacherIds: string[];
	studentIds: string[];
}

export interface Contact {
	id: string;
	firstName: string;
	lastName: string;
	role: "teacher" | "student" | "school_admin";
	classes: string[];
}

export type ItemKind = "lesson" | "flashcard" | "single_choice" | "multiple_choice" | "true_false" | "short_answer" | "numeric";

export interface ContentItem {
	id: string;
	kind: ItemKind;
	title: string;
	subject: string;
	status: "draft" | "validated" | "archived";
	prompt?: string;
	front?: string;
}

/** An item as a student sees it before answering (no answer key). */
export interface StudentItem {
	id: string;
	kind: ItemKind;
	title: string;
	subject: string;
	expectedSeconds: number;
	prompt?: string;
	front?: string;
	markdown?: string;
	unit?: string;
	choices?: { id: string; text: string }[];
}

export interface Feedback {
	kind: ItemKind;
	expected?: { choiceId?: string; choiceIds?: string[]; value?: boolean | number; accepted?: string[]; tolerance?: number; unit?: string };
	explanation?: string;
	back?: string;
}

export interface PathStep {
	id: string;
	title: string;
	kind: "revision" | "evaluation";
	itemIds?: string[];
}

export interface LearningPath {
	id: string;
	name: string;
	subject: string;
	status: "draft" | "active" | "archived";
	classIds: string[];
	studentIds: string[];
	steps: PathStep[];
}

export interface StepProgress {
	stepId: string;
	title: string;
	kind: "revision" | "evaluation";
	completed: boolean;
	mastery: number;
	reviewed: number;
	items: number;
	dueNow: number;
	nextDueAt: string | null;
	sessions: number;
	lastScore: number | null;
}

export interface PathProgress {
	pathId: string;
	name: string;
	subject: string;
	mastery: number;
	nextDueAt: string | null;
	dueNow: number;
	completedSteps: number;
	totalSteps: number;
	steps: StepProgress[];
}

export interface MyProgress {
	streak: number;
	paths: PathProgress[];
}

export interface RevisionStart {
	id: string;
	queue: number;
	item: StudentItem | null;
}

export interface AnswerResult {
	itemId: string;
	correct: boolean;
	score: number;
	rating: number;
	feedback: Feedback;
	remaining: number;
	next: StudentItem | null;
	/** With `next` null: when the first item waiting for its learning step comes back (it is served again then). */
	nextAt?: string | null;
	duplicate: boolean;
}

/** GET /revision-sessions/:id/next */
export interface RevisionNext {
	done: boolean;
	waiting?: boolean;
	nextAt?: string;
	remaining?: number;
	item?: StudentItem;
}

export interface RevisionSummary {
	id: string;
	status: string;
	score: number;
	successRate: number;
	timeSpentMs: number;
	answered: number;
	correct: number;
}

export interface LiveSession {
	id: string;
	roomId: string;
	code: string;
	joinCode?: string;
	status: "open" | "ended";
	classId: string;
	pathId: string;
	stepId: string;
	questionCount?: number;
	timeLimitSeconds: number;
	itemIds?: string[];
	endReason?: string;
	leaderboard?: Standing[];
}

export interface Standing {
	studentId: string;
	score: number;
	rank: number;
	answered: number;
	correct: number;
}

export interface Conversation {
	id: string;
	kind: "student_teacher" | "teacher_admin" | "support";
	memberIds: string[];
	members: { userId: string; role: string; lastReadMessageId: string | null; lastReadAt: string | null }[];
	lastMessageAt: string | null;
	lastMessageId: string | null;
}

export interface Message {
	id: string;
	conversationId: string;
	senderId: string;
	clientId: string;
	text: string;
	createdAt: string;
}

export interface Notification {
	id: string;
	type: string;
	title: string;
	body?: string;
	data?: Record<string, unknown>;
	readAt?: string | null;
	createdAt: string;
}

export interface ImportResult {
	created: string[];
	errors: { line: number; field?: string; message: string }[];
}
