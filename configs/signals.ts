/**
 * Every measure the dashboards and alerts show, defined once (mixin style: signals → panels,
 * signals → alerts).
 *
 * Raw names are those the collector's prometheus exporter produces with translation_strategy
 * UnderscoreEscapingWithSuffixes from Claude Code's OTLP metrics. Totals and rates read the
 * recorded per-minute increments (configs/rules.ts), never the per-session raw series, so they
 * are exact and do not slow down with the number of sessions. Each total reads the narrowest
 * record that still has the labels it groups and filters by (see `total`).
 */

/** Prometheus metric names of Claude Code's eight counters. */
export const METRICS = {
    cost: "claude_code_cost_usage_USD_total",
    tokens: "claude_code_token_usage_tokens_total",
    activeTime: "claude_code_active_time_seconds_total",
    sessions: "claude_code_session_count_total",
    linesOfCode: "claude_code_lines_of_code_count_total",
    commits: "claude_code_commit_count_total",
    pullRequests: "claude_code_pull_request_count_total",
    editDecisions: "claude_code_code_edit_tool_decision_total",
} as const;

export type Measure = keyof typeof METRICS;

/** Matches the CLI and the Desktop app (service.name claude-code-desktop), which the exporter puts in `job`. */
export const CLAUDE_CODE_SELECTOR = `job=~"claude-code(-desktop)?"`;

/** Loki stream selector for Claude Code events (CLI and Desktop). */
export const CLAUDE_CODE_STREAM = `{service_name=~"claude-code(-desktop)?"}`;

/** Evaluation interval of the increment rules: the resolution of every recorded series. */
export const INCREMENT_INTERVAL = "1m";

/** The measure's part of recorded series names (Prometheus naming: snake_case, unit last). */
const RECORD_NAMES: Record<Measure, string> = {
    cost: "cost_usd",
    tokens: "tokens",
    activeTime: "active_time_seconds",
    sessions: "sessions",
    linesOfCode: "lines_of_code",
    commits: "commits",
    pullRequests: "pull_requests",
    editDecisions: "edit_decisions",
};

/** Recorded series of a measure's per-minute increments, aggregated over sessions and requests. */
export function recordedIncrease(measure: Measure): string {
    return `claude_code:${RECORD_NAMES[measure]}:increase${INCREMENT_INTERVAL}`;
}

/**
 * Labels that describe single API requests (which agent asked, at what effort). They multiply a
 * user's cost and token series by about six, so only the records of REQUEST_MEASURES keep them,
 * for the panels that group by them.
 */
export const REQUEST_LABELS = ["query_source", "effort"] as const;

/** The request labels a measure's points carry (only Claude Code's cost and token counters have them). */
export function requestLabelsOf(measure: Measure): readonly string[] {
    return measure === "cost" || measure === "tokens" ? REQUEST_LABELS : [];
}

/** Measures also recorded with the request labels kept. */
export const REQUEST_MEASURES = ["cost"] as const satisfies readonly Measure[];
export type RequestMeasure = (typeof REQUEST_MEASURES)[number];

export function recordedRequestIncrease(measure: RequestMeasure): string {
    return `claude_code:${RECORD_NAMES[measure]}:request_increase${INCREMENT_INTERVAL}`;
}

/** Measures also recorded per session, for session tables. */
export const SESSION_MEASURES = ["cost", "tokens", "activeTime"] as const satisfies readonly Measure[];
export type SessionMeasure = (typeof SESSION_MEASURES)[number];

export function recordedSessionIncrease(measure: SessionMeasure): string {
    return `claude_code:${RECORD_NAMES[measure]}:session_increase${INCREMENT_INTERVAL}`;
}

/** Label matchers, e.g. `type="cacheRead"` or the dashboard variables' filter. */
export type Matchers = string;

const withMatchers = (series: string, matchers: Matchers) => (matchers ? `${series}{${matchers}}` : series);
const grouping = (by: readonly string[]) => (by.length > 0 ? ` by (${by.join(", ")})` : "");
const joinMatchers = (...parts: Matchers[]) => parts.filter((p) => p !== "").join(", ");

/** Whether a query groups or filters by a request label (so it needs the wider record). */
function readsRequestLabels(by: readonly string[], matchers: Matchers): boolean {
    return REQUEST_LABELS.some((l) => by.includes(l) || new RegExp(`(^|[\\s,{])${l}\\s*(=|!=|=~|!~)`).test(matchers));
}

/** Exact total of a measure over a range (`$__range`, `$__interval`, `24h`, …), summed by labels. */
export function total(measure: Measure, range: string, by: readonly string[] = [], matchers: Matchers = ""): string {
    let series = recordedIncrease(measure);
    if (readsRequestLabels(by, matchers)) {
        if (!(REQUEST_MEASURES as readonly Measure[]).includes(measure)) {
            throw new Error(`${measure} is not recorded with the request labels (${REQUEST_LABELS.join(", ")}): add it to REQUEST_MEASURES`);
        }
        series = recordedRequestIncrease(measure as RequestMeasure);
    }
    return `sum${grouping(by)} (sum_over_time(${withMatchers(series, matchers)}[${range}]))`;
}

/** Exact per-session total of a measure over a range. */
export function sessionTotal(measure: SessionMeasure, range: string, by: readonly string[], matchers: Matchers = ""): string {
    return `sum${grouping(by)} (sum_over_time(${withMatchers(recordedSessionIncrease(measure), matchers)}[${range}]))`;
}

/** Prompt-token types; Claude Code's `input` type excludes cache tokens, so these three are all prompt tokens. */
export const PROMPT_TOKEN_TYPES = `type=~"input|cacheRead|cacheCreation"`;

/**
 * The measures, as functions of the range they cover and of extra label matchers (dashboard
 * variables). Each is used by every panel and alert that shows it.
 */
export const signals = {
    costUsd: (range: string, m: Matchers = "", by: readonly string[] = []) => total("cost", range, by, m),
    tokens: (range: string, m: Matchers = "", by: readonly string[] = []) => total("tokens", range, by, m),
    activeSeconds: (range: string, m: Matchers = "", by: readonly string[] = []) => total("activeTime", range, by, m),
    /** Sessions started (session.count is +1 at each start, including resumes). */
    sessions: (range: string, m: Matchers = "", by: readonly string[] = []) => total("sessions", range, by, m),
    linesOfCode: (range: string, m: Matchers = "", by: readonly string[] = ["type"]) => total("linesOfCode", range, by, m),
    commits: (range: string, m: Matchers = "") => total("commits", range, [], m),
    pullRequests: (range: string, m: Matchers = "") => total("pullRequests", range, [], m),
    editDecisions: (range: string, m: Matchers = "", by: readonly string[] = ["decision"]) => total("editDecisions", range, by, m),
    /**
     * Share of prompt tokens served from the prompt cache: cacheRead / (input + cacheRead +
     * cacheCreation). Cache writes count as misses: they are paid at a premium and read nothing.
     */
    cacheHitRatio: (range: string, m: Matchers = "", by: readonly string[] = []) =>
        `${total("tokens", range, by, joinMatchers(`type="cacheRead"`, m))} / ${total("tokens", range, by, joinMatchers(PROMPT_TOKEN_TYPES, m))}`,
    /** Share of code-edit permission decisions that were accepted. */
    editAcceptRatio: (range: string, m: Matchers = "", by: readonly string[] = []) =>
        `${total("editDecisions", range, by, joinMatchers(`decision="accept"`, m))} / ${total("editDecisions", range, by, m)}`,
    /** USD per commit Claude Code made. */
    costPerCommit: (range: string, m: Matchers = "") => `${total("cost", range, [], m)} / ${total("commits", range, [], m)}`,
    /** USD per 1,000 lines added or removed. */
    costPerKiloLine: (range: string, m: Matchers = "") => `${total("cost", range, [], m)} / (${total("linesOfCode", range, [], m)} / 1000)`,
    /** USD per 1,000 output tokens, per model. */
    costPerKiloOutputToken: (range: string, m: Matchers = "") =>
        `${total("cost", range, ["model"], m)} / on (model) (${total("tokens", range, ["model"], joinMatchers(`type="output"`, m))} / 1000)`,
    sessionCost: (range: string, m: Matchers = "") => sessionTotal("cost", range, ["session_id", "user_id"], m),
    sessionTokens: (range: string, m: Matchers = "") => sessionTotal("tokens", range, ["session_id", "user_id"], m),
    sessionActiveSeconds: (range: string, m: Matchers = "") => sessionTotal("activeTime", range, ["session_id", "user_id"], m),
};
