/*
 * The Store custom resource's fixed names: API group and version, the
 * collection's path, the finalizer, annotations and labels in the group's
 * domain. A bottom-layer header (no includes, no code), so that anything
 * that needs a name (events, the cache's wiring, the helm driver's labels)
 * does not pull in the store model.
 */
#ifndef SP_CRD_H
#define SP_CRD_H

#define SP_GROUP            "storeplatform.dev"
#define SP_VERSION          "v1alpha1"
#define SP_API_VERSION      SP_GROUP "/" SP_VERSION
#define SP_STORES_PATH      "/apis/" SP_API_VERSION "/stores"
#define SP_FINALIZER        SP_GROUP "/cleanup"
#define SP_RETRY_ANNOTATION SP_GROUP "/retry"
#define SP_MANAGED_BY       "store-platform"
/* Stores with this label belong to the orchestrators started with that --controller-class. */
#define SP_CLASS_LABEL SP_GROUP "/controller-class"
/* On a store namespace and the objects the controller creates in it: the store's name. */
#define SP_STORE_LABEL SP_GROUP "/store"
/* On helm's release records (helm --labels): the Store generation and chart version deployed. */
#define SP_GENERATION_LABEL SP_GROUP "/generation"
#define SP_CHART_LABEL      SP_GROUP "/chart-version"

#endif
