// The probe paths, named once: the routes, the Cloud Run service definition's
// tests and the doctor all read them from here.
export const PROBE_PATHS = { live: '/live', ready: '/ready' } as const;
