"""Third-party oracles for the tests: PyJWT (the original's token library) and passlib (its password hashes).

Usage:
  interop.py jwt-encode SECRET PAYLOAD_JSON      prints a token PyJWT signs (HS256)
  interop.py jwt-decode SECRET TOKEN             prints the payload PyJWT verifies, or exits 1
  interop.py passlib-hash PASSWORD               prints a pbkdf2_sha256 hash
  interop.py passlib-verify PASSWORD HASH        prints true or false
"""
import json
import sys
import warnings

warnings.simplefilter("ignore")


def main(argv):
    command, args = argv[1], argv[2:]
    if command == "jwt-encode":
        import jwt
        token = jwt.encode(json.loads(args[1]), args[0], algorithm="HS256")
        print(token.decode() if isinstance(token, bytes) else token)
    elif command == "jwt-decode":
        import jwt
        try:
            print(json.dumps(jwt.decode(args[1], args[0], algorithms=["HS256"]), sort_keys=True))
        except jwt.InvalidTokenError as error:
            print(f"invalid: {error}", file=sys.stderr)
            return 1
    elif command == "passlib-hash":
        from passlib.hash import pbkdf2_sha256
        print(pbkdf2_sha256.hash(args[0]))
    elif command == "passlib-verify":
        from passlib.hash import pbkdf2_sha256
        print("true" if pbkdf2_sha256.verify(args[0], args[1]) else "false")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
