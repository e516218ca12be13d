/**
 * The Grafana container's start-up script, run by a real /bin/sh with a stand-in for `grafana cli`
 * on PATH (Grafana itself cannot run here): first start, password applied, and a failed reset
 * that must be visible in the container log without revealing the password.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD_NOT_APPLIED, GRAFANA_ENTRYPOINT, GRAFANA_ENTRYPOINT_SCRIPT } from "../configs/grafana";

const PASSWORD = "s3cret-Admin-pass";
const dirs: string[] = [];
afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs the script as the container would, with `grafana cli` answering `cliExit` and printing `cliSays`. */
function start(opts: { database: boolean; cliExit?: number; cliSays?: string }) {
    const dir = mkdtempSync(join(tmpdir(), "grafana-entry-"));
    dirs.push(dir);
    const data = join(dir, "data");
    mkdirSync(join(dir, "bin"));
    mkdirSync(data);
    if (opts.database) writeFileSync(join(data, "grafana.db"), "");
    const stub = `#!/bin/sh\nprintf '%s\\n' "$*" > "${dir}/argv"\ncat > "${dir}/stdin"\nprintf '%s\\n' "${opts.cliSays ?? "Admin password changed successfully"}"\nexit ${opts.cliExit ?? 0}\n`;
    writeFileSync(join(dir, "bin", "grafana"), stub);
    writeFileSync(join(dir, "run.sh"), "#!/bin/sh\necho 'grafana server started'\n");
    chmodSync(join(dir, "bin", "grafana"), 0o755);
    chmodSync(join(dir, "run.sh"), 0o755);
    // The image's /run.sh is the only path moved for this host.
    const script = GRAFANA_ENTRYPOINT_SCRIPT.replace(/exec \/run\.sh$/, `exec ${dir}/run.sh`);
    const r = spawnSync(GRAFANA_ENTRYPOINT[0], [GRAFANA_ENTRYPOINT[1], script], {
        encoding: "utf8",
        env: { PATH: `${join(dir, "bin")}:/usr/bin:/bin`, GF_PATHS_DATA: data, GF_SECURITY_ADMIN_PASSWORD: PASSWORD },
    });
    const read = (f: string) => {
        try {
            return readFileSync(join(dir, f), "utf8");
        } catch {
            return undefined;
        }
    };
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, argv: read("argv"), stdin: read("stdin") };
}

describe("Grafana start-up script (real /bin/sh)", () => {
    it("first start (no database): does not call grafana cli, says so, and starts Grafana", () => {
        const r = start({ database: false });
        expect(r.argv).toBeUndefined();
        expect(r.stdout).toMatch(/first start, Grafana creates the admin/);
        expect(r.stdout).toMatch(/grafana server started/);
        expect(r.status).toBe(0);
    });

    it("existing database: applies the password over stdin, never in argv, then starts Grafana", () => {
        const r = start({ database: true });
        expect(r.argv).toMatch(/admin reset-admin-password --password-from-stdin/);
        expect(r.argv).not.toContain(PASSWORD);
        expect(r.stdin).toBe(PASSWORD);
        expect(r.stdout).toMatch(/admin password: the stack password is applied/);
        expect(r.stderr).toBe("");
        expect(r.stdout).toMatch(/grafana server started/);
    });

    it("a failed reset is an error line in the log with grafana cli's reason, Grafana still starts, the password is not printed", () => {
        const r = start({ database: true, cliExit: 1, cliSays: "Error: ✗ failed to connect to database: database is locked" });
        expect(r.stderr).toContain(ADMIN_PASSWORD_NOT_APPLIED);
        expect(r.stderr).toMatch(/HTTP 401\. grafana cli said: .*database is locked/);
        expect(r.stdout).toMatch(/grafana server started/);
        expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    });
});
