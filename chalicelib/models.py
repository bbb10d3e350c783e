"""PynamoDB models of the one table: professionals, uniqueness guards and API keys.

Every item has a string hash key ``pk``; ``kind`` tells the item types apart, so a batch read of
mixed keys comes back as the right classes. Guards (``EMAIL#<email>``, ``PHONE#<phone>``) carry
``owner_id`` rather than ``email``/``phone`` so they stay out of the look-up indexes.
"""
from __future__ import annotations

from pynamodb.attributes import (BooleanAttribute, DiscriminatorAttribute, JSONAttribute,
                                 NumberAttribute, UnicodeAttribute)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


class TableItem(Model):
    """Any item of the professionals table."""

    class Meta:
        table_name = "professionals"
        billing_mode = "PAY_PER_REQUEST"
        stream_view_type = "NEW_AND_OLD_IMAGES"  # feeds the search index (chalicelib/search)

    pk = UnicodeAttribute(hash_key=True)
    kind = DiscriminatorAttribute()


class EmailIndex(GlobalSecondaryIndex):
    """Look a professional up by normalised e-mail (eventually consistent: never a uniqueness check)."""

    class Meta:
        index_name = "by_email"
        projection = AllProjection()

    email = UnicodeAttribute(hash_key=True)


class PhoneIndex(GlobalSecondaryIndex):
    """Look a professional up by E.164 phone."""

    class Meta:
        index_name = "by_phone"
        projection = AllProjection()

    phone = UnicodeAttribute(hash_key=True)


class SourceIndex(GlobalSecondaryIndex):
    """Professionals of one source, newest first through ``list_key`` (created_at#id)."""

    class Meta:
        index_name = "by_source"
        projection = AllProjection()

    source = UnicodeAttribute(hash_key=True)
    list_key = UnicodeAttribute(range_key=True)


class PartnerIndex(GlobalSecondaryIndex):
    """One partner's professionals, newest first: sparse, only records a partner key created
    carry ``partner`` (the key's name)."""

    class Meta:
        index_name = "by_partner"
        projection = AllProjection()

    partner = UnicodeAttribute(hash_key=True)
    list_key = UnicodeAttribute(range_key=True)


class UnconfirmedIndex(GlobalSecondaryIndex):
    """Anonymous sign-ups whose address is not confirmed yet, by the moment they are erased
    (chalicelib/purge.py): sparse, only those records carry ``unconfirmed`` and ``confirm_by``,
    which a confirmation removes, so the hourly purge is one Query, never a Scan."""

    class Meta:
        index_name = "by_unconfirmed"
        projection = AllProjection()

    unconfirmed = UnicodeAttribute(hash_key=True)
    confirm_by = UnicodeAttribute(range_key=True)


class ProfessionalItem(TableItem, discriminator="professional"):
    """One professional; ``version`` guards every write against lost updates."""

    id = UnicodeAttribute()
    full_name = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    company_name = UnicodeAttribute(null=True)
    job_title = UnicodeAttribute(null=True)
    source = UnicodeAttribute()
    partner = UnicodeAttribute(null=True)
    partner_key_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    list_key = UnicodeAttribute()
    version = NumberAttribute(default=1)
    resume = JSONAttribute(null=True)  # public: the newest upload attempt
    resume_upload = JSONAttribute(null=True)  # internal: {"key", "filename"} of that attempt
    resume_ready = JSONAttribute(null=True)  # internal: {"pdf_key", "text_key", "filename"}
    email_verified = BooleanAttribute(null=True)  # absent (records from before it): false
    consent = JSONAttribute(null=True)  # {"version", "accepted_at"} of the privacy notice
    unconfirmed = UnicodeAttribute(null=True)  # by_unconfirmed: see UnconfirmedIndex
    confirm_by = UnicodeAttribute(null=True)
    # internal: the Idempotency-Key record whose kept response holds this record (erasure deletes it)
    idempotency_record = UnicodeAttribute(null=True)
    # internal: tokens carry it; a new one (proof of an unverified address) revokes every token
    # issued before. Absent (records from before it): 0.
    credential_generation = NumberAttribute(null=True)
    upload_attempts = JSONAttribute(null=True)  # internal: ISO times of counted uploads, last 24 h
    # internal: who made this write and via what ({"kind", "name", "via"}): the history's actor,
    # carried by the write itself (chalicelib/history/actors.py)
    changed_by = JSONAttribute(null=True)

    by_email = EmailIndex()
    by_phone = PhoneIndex()
    by_source = SourceIndex()
    by_partner = PartnerIndex()
    by_unconfirmed = UnconfirmedIndex()


class GuardItem(TableItem, discriminator="guard"):
    """Holds one unique e-mail or phone for ``owner_id``; written in the same transaction."""

    owner_id = UnicodeAttribute()


class ApiKeyItem(TableItem, discriminator="api_key"):
    """An API key, stored by the SHA-256 of the key; the key itself is never stored."""

    key_id = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    created_at = UnicodeAttribute()
    revoked_at = UnicodeAttribute(null=True)


class UsedLinkItem(TableItem, discriminator="used_link"):
    """A mailed link (email token) that has opened a session: it opens no second one. Kept
    until the token expires (``expires_at``, epoch seconds: the table's TTL attribute)."""

    expires_at = NumberAttribute()


def professional_pk(professional_id: str) -> str:
    return f"PRO#{professional_id}"


def guard_pk(field: str, value: str) -> str:
    return f"{field.upper()}#{value}"


def used_link_pk(token_id: str) -> str:
    return f"LINK#{token_id}"


def api_key_pk(key_hash: str) -> str:
    return f"KEY#{key_hash}"
