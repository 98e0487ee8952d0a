// libmongoc 1.x (Debian: libmongoc-dev, libbson-dev) for the MongoDB store.
#include <mongoc/mongoc.h>

// bson_t and bson_iter_t are over-aligned, so Swift sees them only as opaque pointers: these allocate
// zeroed storage for one (release it with bson_free).
static inline bson_t *pladmed_bson_storage(void) { return (bson_t *) bson_malloc0(sizeof(bson_t)); }
static inline bson_iter_t *pladmed_bson_iter_storage(void) { return (bson_iter_t *) bson_malloc0(sizeof(bson_iter_t)); }
