/**
 * Building blocks shared by the service components: a pinned image, a long-lived data volume and
 * a container with the stack's conventions (loopback ports, labels, memory limit, restart policy).
 */
import * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";

/** Label put on every Docker object, so `docker ps --filter label=…` finds a stack's objects. */
export const STACK_LABEL = "dev.claude-code-monitoring.stack";

/**
 * Container label: the host address its ports are published on (the `bindAddress` setting). The
 * policy pack (policy/) rejects a port published beyond loopback on any other address.
 */
export const PUBLISHED_ADDRESS_LABEL = "dev.claude-code-monitoring.published-address";

/**
 * Container label: "true" when the data volumes it mounts are kept on `pulumi destroy`
 * (`keepDataOnDestroy`, the value given to `dataVolume`), "false" when they are deleted. On the
 * container, not the volume: a changed volume label replaces the volume (and loses its data), and
 * policies cannot see `retainOnDelete` itself.
 */
export const KEEP_DATA_LABEL = "dev.claude-code-monitoring.keep-data-on-destroy";

/** Where a service runs: shared by every service component's args. */
export interface ServicePlacement {
    /** Docker object name prefix of the stack, e.g. `claude-code-local`. */
    namePrefix: string;
    /** Pulumi stack name, stored as a label. */
    stack: string;
    /** Name of the stack's Docker network. */
    networkName: pulumi.Input<string>;
    /** Host address published ports bind to. */
    bindAddress: string;
    /** Pinned image reference. */
    image: string;
}

/** The placement part of a service's args, and `keepData` when the service has data volumes. */
export function placementOf(args: ServicePlacement & { keepData?: boolean }): ServicePlacement & { keepData?: boolean } {
    return {
        namePrefix: args.namePrefix,
        stack: args.stack,
        networkName: args.networkName,
        bindAddress: args.bindAddress,
        image: args.image,
        ...(args.keepData === undefined ? {} : { keepData: args.keepData }),
    };
}

/** A service that keeps data and publishes one port (Prometheus, Loki, Grafana). */
export interface DataServiceArgs extends ServicePlacement {
    /** Host port of the service's UI or API. */
    port: number;
    /** Memory limit in MB. */
    memoryMb: number;
    /** Keep the data volume on `pulumi destroy`. */
    keepData: boolean;
}

export interface ServiceContainerArgs extends ServicePlacement {
    /** Service name: the container name suffix and its alias on the stack's network. */
    service: string;
    /** Container ports published on the host, with their host ports. */
    ports: { internal: number; external: number }[];
    /** Memory limit in MB. */
    memoryMb: number;
    /** Files written into the container before it starts (configs); a change replaces the container. */
    uploads?: { file: string; content: pulumi.Input<string> }[];
    /** Named volumes mounted into the container. */
    volumes?: { volumeName: pulumi.Input<string>; containerPath: string }[];
    /** Whether those volumes are kept on destroy (as given to `dataVolume`); stored as a label. */
    keepData?: boolean;
    envs?: pulumi.Input<pulumi.Input<string>[]>;
    command?: string[];
    entrypoints?: string[];
    /** Docker healthcheck test (exec form); omitted for images with no probe tool. */
    healthcheck?: { tests: string[]; startPeriod: string; interval?: string; retries?: number };
    /** Wait for the healthcheck to pass before the create completes. */
    wait?: boolean;
}

/** Pulls a pinned image; kept locally on destroy so the next `up` need not pull again. */
export function pinnedImage(name: string, image: string, parent: pulumi.Resource): docker.RemoteImage {
    return new docker.RemoteImage(name, { name: image, keepLocally: true }, { parent });
}

/**
 * A named volume for data that must outlive containers. With `keep`, `pulumi destroy` leaves it
 * on the machine, and the next `up` (same name) finds the data again.
 */
export function dataVolume(name: string, volumeName: string, stack: string, keep: boolean, parent: pulumi.Resource): docker.Volume {
    return new docker.Volume(
        name,
        { name: volumeName, labels: [{ label: STACK_LABEL, value: stack }] },
        { parent, retainOnDelete: keep },
    );
}

/** What a data service declares beyond its placement and its DataServiceArgs: the rest of its container. */
export interface DataServiceSpec extends Omit<ServiceContainerArgs, keyof ServicePlacement | "ports" | "memoryMb" | "volumes" | "keepData"> {
    /** The port the service listens on inside the container, published on the host as `port`. */
    internalPort: number;
    /** Where the data volume is mounted in the container. */
    dataPath: string;
}

/**
 * The shared body of Prometheus, Loki and Grafana: a data volume named for the service (kept on
 * destroy when `keepData`), and the container that mounts it and publishes its one port.
 */
export function dataService(
    name: string,
    args: DataServiceArgs,
    spec: DataServiceSpec,
    parent: pulumi.Resource,
    dependsOn: pulumi.Resource[] = [],
): { volume: docker.Volume; container: docker.Container } {
    const { internalPort, dataPath, ...container } = spec;
    const volume = dataVolume(`${name}-data`, `${args.namePrefix}-${spec.service}-data`, args.stack, args.keepData, parent);
    return {
        volume,
        container: serviceContainer(
            `${name}-container`,
            {
                ...placementOf(args),
                ...container,
                ports: [{ internal: internalPort, external: args.port }],
                memoryMb: args.memoryMb,
                volumes: [{ volumeName: volume.name, containerPath: dataPath }],
            },
            parent,
            dependsOn,
        ),
    };
}

export function serviceContainer(name: string, args: ServiceContainerArgs, parent: pulumi.Resource, dependsOn: pulumi.Resource[] = []): docker.Container {
    const image = pinnedImage(`${name}-image`, args.image, parent);
    return new docker.Container(
        name,
        {
            name: `${args.namePrefix}-${args.service}`,
            // The image id, not its name: a name makes the provider replace the container on every run.
            image: image.imageId,
            networksAdvanced: [{ name: args.networkName, aliases: [args.service] }],
            ports: args.ports.map((p) => ({ internal: p.internal, external: p.external, ip: args.bindAddress, protocol: "tcp" })),
            memory: args.memoryMb,
            restart: "unless-stopped",
            labels: [
                { label: STACK_LABEL, value: args.stack },
                { label: PUBLISHED_ADDRESS_LABEL, value: args.bindAddress },
                ...(args.keepData === undefined ? [] : [{ label: KEEP_DATA_LABEL, value: String(args.keepData) }]),
            ],
            ...(args.uploads ? { uploads: args.uploads } : {}),
            ...(args.volumes ? { volumes: args.volumes } : {}),
            ...(args.envs ? { envs: args.envs } : {}),
            ...(args.command ? { command: args.command } : {}),
            ...(args.entrypoints ? { entrypoints: args.entrypoints } : {}),
            ...(args.healthcheck
                ? {
                      healthcheck: {
                          tests: args.healthcheck.tests,
                          interval: args.healthcheck.interval ?? "5s",
                          timeout: "5s",
                          retries: args.healthcheck.retries ?? 30,
                          startPeriod: args.healthcheck.startPeriod,
                      },
                  }
                : {}),
            ...(args.wait ? { wait: true, waitTimeout: 240 } : {}),
        },
        // Fixed names and host ports: the old container must go before its replacement starts.
        { parent, deleteBeforeReplace: true, dependsOn },
    );
}
