"""A MongoDB server's own insert rate, measured by pymongo: the bound on any client's results/s.

  python mongo_insert_rate.py URI COUNT SIZE THREADS
      inserts COUNT documents of about SIZE bytes (BSON) into a fresh collection, one insert_one at a time from each
      of THREADS threads, and prints {"documents": COUNT, "seconds": S, "per_second": R}
"""
import json
import sys
import threading
import time

from bson import BSON, ObjectId
from pymongo import MongoClient

uri, count, size, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
collection = MongoClient(uri).get_default_database()["insert_rate_" + str(ObjectId())]
template = {"operation": ObjectId(), "probe": ObjectId(), "unique_code": "", "results": ""}
template["results"] = "x" * max(0, size - len(BSON.encode(template)) - 24)
collection.insert_one(dict(template, unique_code="warm-up"))


def insert(first, step):
    for index in range(first, count, step):
        collection.insert_one(dict(template, unique_code=str(index)))


started = time.monotonic()
workers = [threading.Thread(target=insert, args=(first, threads)) for first in range(threads)]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
seconds = time.monotonic() - started
print(json.dumps({"documents": count, "seconds": seconds, "per_second": count / seconds}))
