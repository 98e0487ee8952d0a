"""Writes and reads MongoDB documents exactly as the original pladmed backend (Flask + pymongo) does, for the
compatibility test of the MongoDB store.

  python mongo_original.py seed URI    -> writes a user (passlib pbkdf2_sha256 hash, int credits), a probe
                                          (GeoJSON Point) and an operation with one result; prints their ids
  python mongo_original.py show URI ID -> prints the operation document with BSON types named
  python mongo_original.py results URI ID -> prints the operation's documents of the results collection (ours), in
                                          id order, with BSON types named
"""
import json
import sys

from bson import ObjectId
from passlib.hash import pbkdf2_sha256
from pymongo import MongoClient

mode, uri = sys.argv[1], sys.argv[2]
database = MongoClient(uri).get_default_database()


def typed(value):
    """A JSON rendering that keeps the BSON types visible."""
    if isinstance(value, ObjectId):
        return {"$oid": str(value)}
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return {"$int": value}
    if isinstance(value, float):
        return {"$double": value}
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return value


if mode == "seed":
    user = database.users.insert_one({"email": "legacy@example.com", "password": pbkdf2_sha256.hash("Legacy_Pass1"),
                                      "credits": 100, "is_superuser": False}).inserted_id
    probe = database.probes.insert_one({"owner": user, "location": {"type": "Point", "coordinates": [-58.4, -34.6]}}).inserted_id
    result = [{"type": "trace", "dst": "8.8.8.8", "hop_count": 3}]
    operation = database.operations.insert_one({
        "operation": "traceroute",
        "params": {"cron": "* * * * *", "stop_time": "01/01/2020 00:00", "times_per_minute": 2, "ips": ["8.8.8.8"]},
        "probes": [probe], "owner": user, "credits": 30.0, "result_format": "json",
        "results": [{"probe": probe, "results": result, "unique_code": "legacy-1"}],
    }).inserted_id
    print(json.dumps({"user": str(user), "probe": str(probe), "operation": str(operation)}))
elif mode == "show":
    print(json.dumps(typed(database.operations.find_one({"_id": ObjectId(sys.argv[3])})), sort_keys=True))
elif mode == "results":
    found = database.results.find({"operation": ObjectId(sys.argv[3])}).sort("_id", 1)
    print(json.dumps([typed(document) for document in found], sort_keys=True))
