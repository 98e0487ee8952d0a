#!/usr/bin/env python3
"""Runs the original backend as a live peer, as it is or with one contract break injected (the conformance suite's
self-check, which must catch every one).

    V/bin/python Tests/Helpers/peers/original_peer.py            the original, unchanged   (V: its venv, .venv/original)
    V/bin/python Tests/Helpers/peers/original_peer.py MUTANT     with that contract break
    V/bin/python Tests/Helpers/peers/original_peer.py --list     one "name<TAB>what it breaks" line per mutant

The original's files are never edited: its own launcher (ORIGINAL_LAUNCHER, default
../shared/peers/original/serve_original.py) runs unchanged, after this script has imported the original's modules
and replaced names in them (functions, constants, methods, or an event handler in flask-socketio's table). The
launcher's environment variables (PORT, ORIGINAL_CTRL_PORT, SECRET_KEY, ...) apply as documented there.
"""
import os
import runpy
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCHER = os.path.abspath(os.getenv("ORIGINAL_LAUNCHER") or os.path.join(HERE, "..", "..", "..", "..", "shared", "peers", "original", "serve_original.py"))
MUTANTS = {}


def mutant(name, breaks):
    """Registers a function that applies the mutant `name`, which breaks what `breaks` says."""
    def register(apply):
        MUTANTS[name] = (breaks, apply)
        return apply
    return register


def replace_event(socketio, event, function):
    """Swaps the handler flask-socketio will register for `event` (before init_app registers them)."""
    for index, (message, _, namespace) in enumerate(socketio.handlers):
        if message == event:
            def handler(sid, *args, _message=message, _namespace=namespace):
                return socketio._handle_event(function, _message, _namespace, sid, *args)
            socketio.handlers[index] = (message, handler, namespace)
            return
    raise LookupError(event)


def wrap(owner, name, make):
    """Replaces owner.name with make(original)."""
    setattr(owner, name, make(getattr(owner, name)))


# --- accounts -------------------------------------------------------------------------------------------------

@mutant("register-gives-credits", "POST /register: a new user starts with 5 credits, not 0")
def _(m):
    wrap(m.users.UsersCollection, "create_user", lambda original: lambda self, email, password, is_superuser, credits_:
         original(self, email, password, is_superuser, credits_ if is_superuser else 5))


@mutant("register-no-special-character", "POST /register: a password without a special character is accepted")
def _(m):
    def validate(data, original=m.route_validator.validate_user_data):
        error = original(data)
        if error.startswith("Password must") and len(data["password"]) >= 8:
            return ""
        return error
    m.routes.validate_user_data = validate


@mutant("register-any-email", "POST /register: an email address of any form is accepted")
def _(m):
    def validate(data, original=m.route_validator.validate_user_data):
        error = original(data)
        return "" if error.startswith("Email address") else error
    m.routes.validate_user_data = validate


@mutant("login-any-password", "POST /login: any password logs in")
def _(m):
    m.user.User.verify_password = lambda self, password: True


@mutant("users-me-stale", "GET /users/me: the balance the token carries (a snapshot at login), not the stored one")
def _(m):
    import flask
    import jwt
    def find_user(self, email, original=m.users.UsersCollection.find_user):
        user = original(self, email)
        token = flask.request.headers.get("access_token") if flask.has_request_context() else None
        if user and token:
            user.credits = jwt.decode(token, verify=False).get("credits", user.credits)
        return user
    m.users.UsersCollection.find_user = find_user


# --- credits --------------------------------------------------------------------------------------------------

@mutant("credits-zero-accepted", "POST /credits: a grant of 0 is accepted")
def _(m):
    m.routes.validate_credits = lambda data: "id" in data and data["id"] != "" and "credits" in data and data["credits"] >= 0


@mutant("credits-granted-twice", "POST /credits: the grant is added twice")
def _(m):
    def change(self, user, credits_, original=m.users.UsersCollection.change_credits):
        if sys._getframe(1).f_code.co_name == "give_credits":
            credits_ += credits_ - user.credits
        return original(self, user, credits_)
    m.users.UsersCollection.change_credits = change


# --- probes ---------------------------------------------------------------------------------------------------

@mutant("probe-location-swapped", "POST /probes: latitude and longitude are stored the wrong way round")
def _(m):
    m.probes.ProbesCollection.to_geo_json = lambda self, location: {"coordinates": [location["latitude"], location["longitude"]], "type": "Point"}


@mutant("probe-latitude-unchecked", "POST /probes: a latitude that is not a number is accepted")
def _(m):
    def validate(data, original=m.route_validator.validate_location):
        error = original(data)
        return "" if error.startswith("location.latitude") else error
    m.routes.validate_location = validate


@mutant("probes-listed-backwards", "GET /probes: the probes in reverse order of registration")
def _(m):
    wrap(m.probes.ProbesCollection, "find_all_probes", lambda original: lambda self: list(reversed(original(self))))


@mutant("probes-me-everyone", "GET /probes/me: every user's probes")
def _(m):
    wrap(m.probes.ProbesCollection, "find_by_user", lambda original: lambda self, user_id: self.find_all_probes())


# --- operations -----------------------------------------------------------------------------------------------

@mutant("traceroute-costs-16", "POST /traceroute: 16 credits per destination, not 15")
def _(m):
    m.credits_operations.CREDITS_PER_TRACEROUTE = 16


@mutant("ping-costs-2", "POST /ping: 2 credits per destination, not 1")
def _(m):
    m.credits_operations.CREDITS_PER_PING = 2


@mutant("dns-costs-2", "POST /dns: 2 credits per name, not 1")
def _(m):
    m.credits_operations.CREDITS_PER_DNS = 2


@mutant("one-execution", "every operation is charged for one execution, whatever its schedule")
def _(m):
    m.credits_operations.estimate_executions = lambda cron, stop_time: 1


@mutant("times-per-minute-ignored", "POST /ping: times_per_minute does not multiply the cost")
def _(m):
    original = m.routes.calculate_credits_ping
    m.routes.calculate_credits_ping = lambda cron, stop_time, ex_per_min, total: original(cron, stop_time, 1, total)


@mutant("charged-once-per-operation", "operations are charged for one probe, however many get them")
def _(m):
    original = m.routes.create_operation
    def create(name, data, credits_for_probes, credits_per_probe, result_format):
        probes = max(1, len(data.get("probes", [])))
        return original(name, data, credits_for_probes, credits_per_probe / probes if probes > 1 else credits_per_probe, result_format)
    m.routes.create_operation = create


@mutant("capacity-strict", "a probe whose free credits equal the cost is not available")
def _(m):
    m.routes.got_enough_credits = lambda conn, credits_: conn.in_use_credits + credits_ < conn.total_credits


@mutant("balance-strict", "a user whose balance equals the cost is refused")
def _(m):
    from flask import current_app, request
    def create(name, data, credits_for_probes, credits_per_probe, result_format, original=m.routes.create_operation):
        try:
            probes = current_app.db.probes.find_selected_probes(data["probes"])
            available = m.routes.get_available_probes(probes, credits_per_probe)
        except Exception:
            available = []
        if available and request.user.credits == credits_per_probe * len(available):
            return m.response.error_response(400, "Not enough credits")
        return original(name, data, credits_for_probes, credits_per_probe, result_format)
    m.routes.create_operation = create


@mutant("job-carries-total", "the job sent to a probe carries the whole operation's cost, not one execution's")
def _(m):
    original = m.routes.do_operation
    m.routes.do_operation = lambda operation, probes, data, credits_per_probe: original(operation, probes, data, data["credits"])


@mutant("job-to-first-probe-only", "a job goes to the first available probe only")
def _(m):
    original = m.routes.do_operation
    m.routes.do_operation = lambda operation, probes, data, credits_per_probe: original(
        operation, probes, dict(data, probes=data["probes"][:1]), credits_per_probe)


@mutant("maxttl-256", "traceroute maxttl up to 256 is accepted")
def _(m):
    m.operations_validator.TRACEROUTE_PARAMS["maxttl"] = m.command_validator.BetweenValidator(1, 256)


@mutant("confidence-1", "traceroute confidence up to 1 is accepted")
def _(m):
    m.operations_validator.TRACEROUTE_PARAMS["confidence"] = m.command_validator.BetweenValidator(0, 1)


@mutant("probecount-0", "ping probecount 0 is accepted")
def _(m):
    m.operations_validator.PING_PARAMS["probecount"] = m.command_validator.BetweenValidator(0, 100)


@mutant("wait-probe-unchecked", "traceroute wait-probe is not checked")
def _(m):
    m.operations_validator.TRACEROUTE_PARAMS["wait-probe"] = m.command_validator.AnyValidator()


@mutant("ping-method-tcp", "ping method 'tcp-ack-sport' is refused")
def _(m):
    validator = m.operations_validator.PING_PARAMS["method"]
    validator.values = [value for value in validator.values if value != "tcp-ack-sport"]


@mutant("dns-type-aaaa", "dns type 'aaaa' is accepted")
def _(m):
    m.operations_validator.DNS_PARAMS["type"].values.append("aaaa")


@mutant("dns-ipv6-unchecked", "dns ipv6 need not be empty")
def _(m):
    m.operations_validator.DNS_PARAMS["ipv6"] = m.command_validator.AnyValidator()


@mutant("no-destinations-accepted", "an operation without destinations is accepted")
def _(m):
    m.route_validator.validate_destinations = lambda data: "fqdns" in data or "ips" in data


@mutant("operation-without-results", "GET /operation: the results are left out")
def _(m):
    def find(self, identifier, original=m.operations.OperationsCollection.find_operation):
        operation = original(self, identifier)
        operation.results = []
        return operation
    m.operations.OperationsCollection.find_operation = find


@mutant("operations-me-everyone", "GET /operations/me: every user's operations")
def _(m):
    m.operations.OperationsCollection.find_by_user = lambda self, user_id: self.find_all_operations()


@mutant("operations-listed-backwards", "GET /operations: the operations in reverse order of creation")
def _(m):
    wrap(m.operations.OperationsCollection, "find_all_operations", lambda original: lambda self: list(reversed(original(self))))


@mutant("delete-all-keeps-users", "DELETE /delete_all: the users are kept")
def _(m):
    def reset(self):
        for name in ("probes", "operations"):
            self.db.drop_collection(name)
    m.database.Database.reset_db = reset


# --- probe events ---------------------------------------------------------------------------------------------

@mutant("connect-ignores-in-use", "connect: the in_use_credits header is ignored (taken as 0)")
def _(m):
    class Connection(m.connection.Connection):
        def __init__(self, sid, total_credits, in_use_credits):
            super().__init__(sid, total_credits, 0)
    m.events.Connection = Connection


@mutant("disconnect-ignored", "disconnect: the probe stays listed as connected")
def _(m):
    replace_event(m.socketio, "disconnect", lambda: None)


@mutant("new-operation-doubled", "new_operation: the reported credits count twice")
def _(m):
    from flask import current_app, request
    def on_new_operation(data):
        probe = m.events.find_probe_by_session(request.sid)
        if probe is not None:
            current_app.probes[probe].in_use_credits += 2 * data["credits"]
    replace_event(m.socketio, "new_operation", on_new_operation)


@mutant("finish-operation-ignored", "finish_operation: the in-use credits are not given back")
def _(m):
    replace_event(m.socketio, "finish_operation", lambda data: None)


@mutant("reward-11", "results: a stored result earns 11 credits, not 10")
def _(m):
    m.events.CREDITS_PER_RESULT = 11


@mutant("reward-to-operation-owner", "results: the operation's owner earns the reward, not the probe's")
def _(m):
    def find_user_by_id(self, id, original=m.users.UsersCollection.find_user_by_id):
        caller = sys._getframe(1)
        if caller.f_code.co_name == "on_results":
            operation = self.usersCol.database.operations.find_one({"_id": m.ObjectId(caller.f_locals["operation"]._id)})
            id = str(operation["owner"])
        return original(self, id)
    m.users.UsersCollection.find_user_by_id = find_user_by_id


@mutant("duplicates-stored", "results: a repeated unique_code is stored again")
def _(m):
    m.operation.Operation.code_exists = lambda self, code: False


@mutant("json-drops-a-record", "results: the sc_warts2json conversion loses its first record")
def _(m):
    original = m.events.warts2json
    m.events.warts2json = lambda content: original(content)[1:]


@mutant("dump-without-header", "results: the sc_analysis_dump conversion loses its comment header")
def _(m):
    original = m.events.warts2dump
    m.events.warts2dump = lambda content: "".join(line for line in original(content).splitlines(True) if not line.startswith("#"))


@mutant("gzip-trailing-newline", "results: gunzipped text gains a newline")
def _(m):
    original = m.events.gzip2text
    m.events.gzip2text = lambda data: original(data) + "\n"


class Modules:
    """The original's modules, imported as its launcher would import them (mongomock in place of pymongo's client)."""

    def __init__(self):
        sys.path.insert(0, os.path.join(os.path.dirname(LAUNCHER), "app"))
        import mongomock
        import pymongo
        pymongo.MongoClient = mongomock.MongoClient
        from bson.objectid import ObjectId
        import pladmed
        import pladmed.database as database
        import pladmed.routes  # noqa: F401  (registers the routes and the event handlers, as create_app() does)
        from pladmed.database import operations, probes, users
        from pladmed.models import connection, operation, user
        from pladmed.routes import events, routes
        from pladmed.utils import credits_operations, response
        from pladmed.validators import command_validator, operations_validator, route_validator
        self.socketio, self.database, self.ObjectId = pladmed.socketio, database, ObjectId
        self.users, self.probes, self.operations = users, probes, operations
        self.connection, self.operation, self.user = connection, operation, user
        self.events, self.routes, self.credits_operations, self.response = events, routes, credits_operations, response
        self.command_validator, self.operations_validator, self.route_validator = command_validator, operations_validator, route_validator


if __name__ == "__main__":
    if sys.argv[1:] == ["--list"]:
        for name, (breaks, _) in MUTANTS.items():
            print(f"{name}\t{breaks}")
        sys.exit(0)
    if len(sys.argv) > 2 or (len(sys.argv) == 2 and sys.argv[1] not in MUTANTS):
        sys.exit(f"usage: {sys.argv[0]} [--list | MUTANT] (mutants: {', '.join(MUTANTS)})")
    if len(sys.argv) == 2:
        MUTANTS[sys.argv[1]][1](Modules())
        sys.stderr.write(f"mutant {sys.argv[1]}: {MUTANTS[sys.argv[1]][0]}\n")
    runpy.run_path(LAUNCHER, run_name="__main__")
