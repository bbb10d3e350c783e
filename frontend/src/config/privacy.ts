/**
 * The privacy notice's version, shown on /privacy. It must equal the backend's
 * `chalicelib/consent.py` PRIVACY_VERSION, which every sign-up's `consent.version` records
 * (tests/test_privacy_version.py compares the two). Change both when the notice changes.
 */
export const PRIVACY_VERSION = '2026-12-02';
