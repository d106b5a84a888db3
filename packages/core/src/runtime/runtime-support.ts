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
  if (service.static) {
    refusals.push({
      path: ['static'],
      message: "the kubernetes runtime does not serve static sites yet (the router serves them from the server's own folder): run the site as a service with an image, or use the local or docker runtime",
    });
  } else if (!service.image && !service.build) {
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
