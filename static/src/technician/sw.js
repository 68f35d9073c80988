/* Service worker of the technician app: the page, its assets and the last
 * job list stay available without signal. Actions are not cached here: the
 * page queues them in IndexedDB and replays them through the sync route. */
const CACHE = "aftersales-technician-v2";
const APP_URL = "/my/technician";

self.addEventListener("install", (event) => {
    event.waitUntil(
        caches.open(CACHE).then((cache) => cache.addAll(["/my/technician"])).then(() => self.skipWaiting())
    );
});

self.addEventListener("activate", (event) => {
    event.waitUntil(
        caches
            .keys()
            .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
            .then(() => self.clients.claim())
    );
});

self.addEventListener("fetch", (event) => {
    const request = event.request;
    if (request.method !== "GET") {
        return;
    }
    const url = new URL(request.url);
    const isAsset = url.pathname.startsWith("/web/assets/") || url.pathname.startsWith("/aftersales/static/");
    if (isAsset) {
        // Asset URLs change with their content: the cached copy is right.
        event.respondWith(
            caches.match(request).then(
                (cached) =>
                    cached ||
                    fetch(request).then((response) => {
                        const copy = response.clone();
                        caches.open(CACHE).then((cache) => cache.put(request, copy));
                        return response;
                    })
            )
        );
    } else if (
        url.pathname.startsWith("/my/technician") ||
        url.pathname.startsWith("/web/image/aftersales.order.media/")
    ) {
        // The page, the job list and the thumbnails of its photos: fresh
        // when online, cached when not.
        event.respondWith(
            fetch(request)
                .then((response) => {
                    if (response.ok) {
                        const copy = response.clone();
                        caches.open(CACHE).then((cache) => cache.put(request, copy));
                    }
                    return response;
                })
                // A job's link offline: the app's page, which opens the job list.
                .catch(() =>
                    caches
                        .match(request)
                        .then((cached) => cached || (request.mode === "navigate" ? caches.match(APP_URL) : undefined))
                )
        );
    }
});
