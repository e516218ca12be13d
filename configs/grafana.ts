/**
 * Grafana container settings: environment and the start-up script.
 */
import type { PlainSettings } from "./settings";

export const GRAFANA_DATA_PATH = "/var/lib/grafana";

/** The settings Grafana's environment uses. */
export const GRAFANA_SETTING_KEYS = ["grafanaAdminUser", "grafanaAnonymousViewer", "smtpHost", "smtpUser", "smtpFromAddress"] as const;
export type GrafanaSettings = Pick<PlainSettings, (typeof GRAFANA_SETTING_KEYS)[number]>;

/**
 * Non-secret environment of the Grafana container, as KEY=VALUE strings in a fixed order.
 * The admin and SMTP passwords are added by the component as secrets.
 */
export function grafanaEnvironment(settings: GrafanaSettings, rootUrl: string): string[] {
    const env: Record<string, string> = {
        GF_SECURITY_ADMIN_USER: settings.grafanaAdminUser,
        GF_SERVER_ROOT_URL: rootUrl,
        GF_USERS_ALLOW_SIGN_UP: "false",
        GF_AUTH_ANONYMOUS_ENABLED: String(settings.grafanaAnonymousViewer),
        ...(settings.grafanaAnonymousViewer ? { GF_AUTH_ANONYMOUS_ORG_ROLE: "Viewer" } : {}),
        // No calls home: usage reporting, update checks, news feed.
        GF_ANALYTICS_REPORTING_ENABLED: "false",
        GF_ANALYTICS_CHECK_FOR_UPDATES: "false",
        GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES: "false",
        GF_NEWS_NEWS_FEED_ENABLED: "false",
        // No plugin downloads at start-up: the data source plugins the stack uses ship in the image
        // (plugins-bundled). PREINSTALL_AUTO_UPDATE=false would stop only updates; preinstall_disabled
        // skips the whole preinstall list (grafana/grafana pkg/setting/setting_plugins.go).
        GF_PLUGINS_PREINSTALL_DISABLED: "true",
        ...(settings.smtpHost
            ? {
                  GF_SMTP_ENABLED: "true",
                  GF_SMTP_HOST: settings.smtpHost,
                  GF_SMTP_USER: settings.smtpUser,
                  GF_SMTP_FROM_ADDRESS: settings.smtpFromAddress,
                  GF_SMTP_FROM_NAME: "Claude Code monitoring",
              }
            : {}),
    };
    return Object.entries(env).map(([key, value]) => `${key}=${value}`);
}

/** Line the start-up script logs when the stack's admin password could not be applied (npm run check points to it). */
export const ADMIN_PASSWORD_NOT_APPLIED = "ERROR: the stack's admin password was NOT applied";

/**
 * Start-up script (run as the container's entrypoint).
 *
 * Grafana applies GF_SECURITY_ADMIN_PASSWORD only when it creates its database. The data volume
 * outlives containers (and, by default, `pulumi destroy`), so when a database exists the stack's
 * password is written into it before every start. A failure is logged as an error with
 * grafana cli's own output (Grafana keeps its previous password, and every Grafana resource of the
 * stack would get 401); Grafana still starts, so the log and npm run check can say why. The
 * password travels over stdin, never in argv.
 */
export const GRAFANA_ENTRYPOINT_SCRIPT = [
    `if [ -f "\${GF_PATHS_DATA:-${GRAFANA_DATA_PATH}}/grafana.db" ]; then`,
    'if out=$(printf "%s" "$GF_SECURITY_ADMIN_PASSWORD" | grafana cli --homepath /usr/share/grafana --config /etc/grafana/grafana.ini admin reset-admin-password --password-from-stdin 2>&1);',
    "then echo 'admin password: the stack password is applied to the existing database';",
    `else printf '%s\\n' "${ADMIN_PASSWORD_NOT_APPLIED} to the existing database; Grafana keeps its previous admin password and the stack's Grafana resources will get HTTP 401. grafana cli said: $out" >&2;`,
    "fi;",
    "else echo 'admin password: first start, Grafana creates the admin from GF_SECURITY_ADMIN_PASSWORD';",
    "fi;",
    "exec /run.sh",
].join(" ");

export const GRAFANA_ENTRYPOINT = ["/bin/sh", "-c", GRAFANA_ENTRYPOINT_SCRIPT];
