"""A minimal block-style YAML writer for the daemons' config files (stdlib has none).

Strings are always double-quoted (JSON escapes are valid YAML); maps and lists of maps
use block style; empty ones are written as {} and []."""
import json


def _scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if v is None:
        return "null"
    return json.dumps(str(v))


def dump(obj, indent=0):
    pad = " " * indent
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, dict) and v:
                out.append("%s%s:" % (pad, k))
                out.append(dump(v, indent + 2))
            elif isinstance(v, list) and v:
                out.append("%s%s:" % (pad, k))
                out.append(dump(v, indent + 2))
            elif isinstance(v, (dict, list)):
                out.append("%s%s: %s" % (pad, k, "{}" if isinstance(v, dict) else "[]"))
            else:
                out.append("%s%s: %s" % (pad, k, _scalar(v)))
    elif isinstance(obj, list):
        for item in obj:
            if isinstance(item, dict) and item:
                body = dump(item, indent + 2).splitlines()
                out.append("%s- %s" % (pad, body[0].lstrip()))
                out.extend(body[1:])
            elif isinstance(item, (dict, list)) and item:
                out.append("%s-" % pad)
                out.append(dump(item, indent + 2))
            else:
                out.append("%s- %s" % (pad, _scalar(item) if not isinstance(item, (dict, list)) else
                                        ("{}" if isinstance(item, dict) else "[]")))
    return "\n".join(x for x in out if x != "")


def dumps(obj):
    return dump(obj) + "\n"
