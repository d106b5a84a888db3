// What a runtime cannot run as written, decided once: validation refuses it with the field's
// location before anything is deployed, and the driver refuses it again for a spec that reached it
// another way. Paths are relative to the service.

/** The fields of a service (manifest or rendered) these rules read. */
export interface ServiceShape {
  image?: string | undefined;
  build?: unknown;
  run?: unknown;
  static?: unknown;
  volumes?: { type?: string | undefined }[] | undefined;
}

export interface RuntimeRefusal {
  /** Path below the service, e.g. ['volumes', 0, 'type']. */
  path: (string | number)[];
  message: string;
}

/** Why the kubernetes runtime cannot run a service as written; [] when it can. */
export function kubernetesRefusals(service: ServiceShape): RuntimeRefusal[] {
  const refusals: RuntimeRefusal[] = [];
  // A static site is served from an image of its output (see the kubernetes runtime's docs).
  if (!service.static && !service.image && !service.build) {
    refusals.push({
      path: service.run ? ['run'] : [],
      message: 'the kubernetes runtime runs containers: give the service an image or a build (a run section is for the local runtime)',
    });
  }
  (service.volumes ?? []).forEach((volume, k) => {
    if (volume.type === 'repo') {
      refusals.push({
        path: ['volumes', k, 'type'],
        message: "the kubernetes runtime cannot mount a repo volume: it is a folder of the server's checkout, which a pod on a cluster node cannot reach; use a persistent or ephemeral volume, or put the files in the image",
      });
    }
  });
  return refusals;
}
