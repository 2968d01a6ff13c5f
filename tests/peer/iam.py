"""IAM calls moto does not serve, from moto's own IAM state (loaded by awspeer.py).

moto keeps the tags of an instance profile (CreateInstanceProfile's Tags, TagInstanceProfile)
but has no ListInstanceProfileTags, which devloop reads to tell its own instance profile from
one made by hand. This module answers it as live IAM does: the tags in `Tags`, `IsTruncated`
false, and NoSuchEntity (404) for a profile that does not exist.
"""

import awspeer as P


def backend():
    from moto.iam.models import iam_backends

    return iam_backends[P.ACCOUNT]["global"]


def tag_xml(tag):
    key, value = (tag.get("Key"), tag.get("Value")) if isinstance(tag, dict) else tag
    return f"<member><Key>{P.xml_escape(key)}</Key><Value>{P.xml_escape(value)}</Value></member>"


@P.handler("iam", "ListInstanceProfileTags")
def list_instance_profile_tags(req):
    name = req.params.get("InstanceProfileName", "")
    profile = next((p for p in backend().instance_profiles.values() if p.name == name), None)
    if profile is None:
        return P.error(req, 404, "NoSuchEntity",
                       f"The Instance Profile with name {name} cannot be found.")
    tags = profile.tags
    items = tags.items() if isinstance(tags, dict) else tags
    body = "<Tags>" + "".join(tag_xml(t) for t in items) + "</Tags><IsTruncated>false</IsTruncated>"
    return P.query_response(req, "ListInstanceProfileTags", body)
