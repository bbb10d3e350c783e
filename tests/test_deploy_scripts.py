"""What `make deploy` and `make deploy-spa` run, without AWS: infra/deploy.sh against a fake
`aws` that records its arguments, the SPA's production build, and the partner-key sync against
moto's API Gateway."""
from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy_fixtures import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "infra" / "deploy.sh"
OUTPUTS = {
    "SiteUrl": "https://d111.cloudfront.net", "SiteApiUrl": "https://d111.cloudfront.net/api",
    "ApiUrl": "https://abc.execute-api.eu-west-1.amazonaws.com/api",
    "SpaBucketName": "professionals-dev-spabucket-1", "DistributionId": "E123",
    "DeadLetterQueueUrl": "https://sqs.eu-west-1.amazonaws.com/123456789012/q-dlq",
    "DeadLetterQueueArn": "arn:aws:sqs:eu-west-1:123456789012:q-dlq",
    "MailDeadLetterQueueUrl": "https://sqs.eu-west-1.amazonaws.com/123456789012/m-dlq",
    "MailDeadLetterQueueArn": "arn:aws:sqs:eu-west-1:123456789012:m-dlq",
    "EmbedDeadLetterQueueUrl": "https://sqs.eu-west-1.amazonaws.com/123456789012/e-dlq",
    "EmbedDeadLetterQueueArn": "arn:aws:sqs:eu-west-1:123456789012:e-dlq",
}
FAKE_AWS = r'''#!PYTHON -S
import json, os, re, shutil, sys
args = sys.argv[1:]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(["aws"] + args) + "\n")
def arg(name):
    return args[args.index(name) + 1] if name in args else None
outputs = json.loads(os.environ.get("FAKE_OUTPUTS", "{}"))
head = args[:2]
if head == ["configure", "get"]:
    print(os.environ.get("FAKE_REGION", ""))
elif head == ["sts", "get-caller-identity"]:
    print("123456789012")
elif head == ["s3api", "head-bucket"]:
    sys.exit(0 if os.environ.get("FAKE_BUCKET_EXISTS") == "1" else 254)
elif head == ["cloudformation", "package"]:
    shutil.copy(arg("--template-file"), arg("--output-template-file"))
elif head == ["cloudformation", "describe-stacks"]:
    found = re.search(r"OutputKey=='(\w+)'", arg("--query") or "")
    print(outputs.get(found.group(1), "None") if found else json.dumps(outputs))
elif head == ["s3", "ls"]:
    for release in os.environ.get("FAKE_RELEASES", "").split():
        print(f"2026-11-26 05:00:00       1234 {release}.json")
    store = os.path.join(os.environ.get("FAKE_S3", "/nonexistent"), args[2][5:])
    for name in sorted(os.listdir(store)) if os.path.isdir(store) else []:
        print(f"2026-11-26 05:00:00       1234 {name}")
elif head == ["s3", "cp"]:
    # A bucket as a folder under FAKE_S3 (when set): what is written can be read back.
    def where(url):
        return os.path.join(os.environ["FAKE_S3"], url[5:])
    source, target = args[2], args[3]
    if source == "-":
        data = sys.stdin.read()
    elif source.startswith("s3://"):
        if "FAKE_S3" not in os.environ:
            if target == "-":  # a record nobody wrote
                sys.exit(1)
            data = "{}"
        elif os.path.exists(where(source)):
            data = open(where(source)).read()
        else:
            print(f"fatal error: {source} does not exist", file=sys.stderr)
            sys.exit(1)
    else:
        data = open(source).read()
    if target == "-":
        sys.stdout.write(data)
    elif target.startswith("s3://"):
        if "FAKE_S3" in os.environ:
            os.makedirs(os.path.dirname(where(target)), exist_ok=True)
            open(where(target), "w").write(data)
    else:
        open(target, "w").write(data)
'''
FAKE_PYTHON = r'''#!PYTHON -S
import json, os, sys
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(["python"] + sys.argv[1:]) + "\n")
'''


@pytest.fixture
def fake(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, code in (("aws", FAKE_AWS), ("python", FAKE_PYTHON)):
        path = bin_dir / name
        path.write_text(code.replace("PYTHON", sys.executable, 1))  # no site: starts fast
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "calls.jsonl"
    dist = tmp_path / "dist"
    (dist / "dev").mkdir(parents=True)
    (dist / "dev" / "sam.json").write_text('{"Resources": {}}')
    (dist / "dev" / "deployment.zip").write_bytes(b"PK")

    def run(*args: str, **env: str) -> subprocess.CompletedProcess:
        base = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": str(tmp_path),
                "FAKE_LOG": str(log), "FAKE_OUTPUTS": json.dumps(OUTPUTS),
                "PYTHON": str(bin_dir / "python"), "DIST": str(dist), "SKIP_PACKAGE": "1",
                "AWS_REGION": "eu-west-1"}
        done = subprocess.run(["bash", str(DEPLOY), *args], capture_output=True, text=True,
                              env={**base, **env}, cwd=tmp_path)
        done.calls = [json.loads(line) for line in log.read_text().splitlines()] \
            if log.exists() else []
        log.unlink(missing_ok=True)
        return done

    run.dist = dist
    return run


def find(calls, *prefix):
    return [c for c in calls if c[:len(prefix)] == list(prefix)]


def flag(call, name):
    return call[call.index(name) + 1]


def release_copies(calls):
    """The `aws s3 cp` calls that store or fetch a release (not the record of what is live)."""
    return [c for c in find(calls, "aws", "s3", "cp") if "/releases/" in c[3] + c[4]]


def test_deploy_packages_uploads_deploys_records_syncs_and_prints_the_urls(fake):
    done = fake("deploy", "dev", ALARM_EMAIL="ops@example.com")
    assert done.returncode == 0, done.stderr
    calls = done.calls
    bucket = "professionals-artifacts-123456789012-eu-west-1"
    create, = find(calls, "aws", "s3api", "create-bucket")
    assert flag(create, "--bucket") == bucket
    assert flag(create, "--create-bucket-configuration") == "LocationConstraint=eu-west-1"
    assert find(calls, "aws", "s3api", "put-public-access-block")
    package, = find(calls, "aws", "cloudformation", "package")
    assert flag(package, "--template-file") == str(fake.dist / "dev" / "sam.json")
    assert flag(package, "--s3-bucket") == bucket
    deploy, = find(calls, "aws", "cloudformation", "deploy")
    assert flag(deploy, "--template-file") == str(fake.dist / "dev" / "packaged.json")
    assert flag(deploy, "--stack-name") == "professionals-dev"
    assert deploy[deploy.index("--capabilities") + 1:][:2] == ["CAPABILITY_IAM",
                                                               "CAPABILITY_AUTO_EXPAND"]
    assert "--no-fail-on-empty-changeset" in deploy
    assert deploy[deploy.index("--parameter-overrides") + 1:] == ["AlarmEmail=ops@example.com"]
    release, = release_copies(calls)
    assert release[3] == str(fake.dist / "dev" / "packaged.json")
    assert re.fullmatch(rf"s3://{bucket}/professionals-dev/releases/\d{{8}}T\d{{6}}Z-\w+\.json",
                        release[4])
    assert ["python", "-m", "infra.stage_keys", "--stack", "professionals-dev", "sync"] in calls
    assert calls.index(deploy) < calls.index(release)
    assert "https://d111.cloudfront.net" in done.stderr
    assert "https://d111.cloudfront.net/api/docs" in done.stderr


def test_deploy_keeps_parameters_it_is_not_given_and_an_existing_bucket(fake):
    done = fake("deploy", "dev", FAKE_BUCKET_EXISTS="1")
    assert done.returncode == 0, done.stderr
    deploy, = find(done.calls, "aws", "cloudformation", "deploy")
    assert "--parameter-overrides" not in deploy
    assert not find(done.calls, "aws", "s3api", "create-bucket")


def test_deploy_packages_first_unless_told_it_is_done(fake):
    done = fake("deploy", "dev", FAKE_BUCKET_EXISTS="1", SKIP_PACKAGE="0")
    assert done.calls[0] == ["python", "-m", "infra.package", "--stage", "dev"] or \
        ["python", "-m", "infra.package", "--stage", "dev"] in done.calls


def test_deploy_refuses_local_stages_and_unpackaged_dists(fake):
    for stage in ("local", "test", "Bad_Stage"):
        done = fake("deploy", stage)
        assert done.returncode != 0
        assert not find(done.calls, "aws", "cloudformation")
    done = fake("deploy", "prod", FAKE_BUCKET_EXISTS="1")
    assert done.returncode != 0 and "not packaged" in done.stderr
    done = fake("deploy", "dev", AWS_REGION="", FAKE_REGION="")
    assert done.returncode != 0 and "no AWS region" in done.stderr


@pytest.fixture(scope="module")
def spa_build(tmp_path_factory):
    """The SPA built for production as `deploy.sh spa` builds it (into a scratch directory)."""
    frontend = PROJECT_ROOT / "frontend"
    if not shutil.which("npx") or not (frontend / "node_modules").is_dir():
        pytest.skip("the SPA's node_modules are not installed (make spa)")
    out = tmp_path_factory.mktemp("spa")
    subprocess.run(["npx", "--no-install", "vite", "build", "--outDir", str(out), "--emptyOutDir",
                    "--logLevel", "error"], cwd=frontend, check=True, capture_output=True,
                   env={**os.environ, "VITE_API_BASE_URL": "/api"})
    return out


def test_the_production_spa_build_calls_the_api_on_its_own_origin(spa_build):
    index = (spa_build / "index.html").read_text()
    # Absolute asset paths: /staff/... and other client routes (served index.html by the
    # CloudFront function) still load /assets/...
    assert re.search(r'src="/assets/[^"]+\.js"', index)
    scripts = "".join(p.read_text() for p in (spa_build / "assets").glob("*.js"))
    assert "/api" in scripts
    assert "127.0.0.1" not in scripts and "execute-api" not in scripts


def test_spa_publishes_assets_immutable_index_revalidated_and_invalidates(fake, spa_build):
    done = fake("spa", "dev", SKIP_SPA_BUILD="1", SPA_DIST=str(spa_build))
    assert done.returncode == 0, done.stderr
    assets, site = find(done.calls, "aws", "s3", "sync")
    assert assets[3:5] == [str(spa_build / "assets"), "s3://professionals-dev-spabucket-1/assets"]
    assert flag(assets, "--cache-control") == "public,max-age=31536000,immutable"
    assert "--delete" not in assets  # pages still open keep their assets
    assert site[3:5] == [str(spa_build), "s3://professionals-dev-spabucket-1"]
    assert flag(site, "--cache-control") == "no-cache"
    assert "--delete" in site and "assets/*" in site
    invalidation, = find(done.calls, "aws", "cloudfront", "create-invalidation")
    assert flag(invalidation, "--distribution-id") == "E123"
    assert flag(invalidation, "--paths") == "/*"


def test_rollback_deploys_the_release_before_the_last_or_the_one_named(fake):
    done = fake("rollback", "dev", FAKE_BUCKET_EXISTS="1",
                FAKE_RELEASES="20261120T100000Z-aaa 20261125T100000Z-bbb 20261126T100000Z-ccc")
    assert done.returncode == 0, done.stderr
    copy, = release_copies(done.calls)
    assert copy[3].endswith("/professionals-dev/releases/20261125T100000Z-bbb.json")
    deploy, = find(done.calls, "aws", "cloudformation", "deploy")
    assert flag(deploy, "--template-file") == str(fake.dist / "dev" / "rollback.json")
    done = fake("rollback", "dev", "20261120T100000Z-aaa", FAKE_BUCKET_EXISTS="1")
    copy, = release_copies(done.calls)
    assert copy[3].endswith("/releases/20261120T100000Z-aaa.json")


def test_dlq_show_peeks_and_replay_moves_messages_back(fake):
    done = fake("dlq", "dev", "show")
    assert done.returncode == 0, done.stderr
    receive, = find(done.calls, "aws", "sqs", "receive-message")
    assert flag(receive, "--queue-url") == OUTPUTS["DeadLetterQueueUrl"]
    done = fake("dlq", "dev", "replay")
    move, = find(done.calls, "aws", "sqs", "start-message-move-task")
    assert flag(move, "--source-arn") == OUTPUTS["DeadLetterQueueArn"]
    assert "--destination-arn" not in move  # back to the queue each message came from


def test_the_mail_dead_letter_queue_is_shown_and_replayed_the_same_way(fake):
    done = fake("dlq", "dev", "show", "mail")
    assert done.returncode == 0, done.stderr
    receive, = find(done.calls, "aws", "sqs", "receive-message")
    assert flag(receive, "--queue-url") == OUTPUTS["MailDeadLetterQueueUrl"]
    done = fake("dlq", "dev", "replay", "mail")
    move, = find(done.calls, "aws", "sqs", "start-message-move-task")
    assert flag(move, "--source-arn") == OUTPUTS["MailDeadLetterQueueArn"]
    assert fake("dlq", "dev", "show", "spam").returncode != 0


def test_the_embed_dead_letter_queue_is_shown_and_replayed_too(fake):
    done = fake("dlq", "dev", "show", "embed")
    assert done.returncode == 0, done.stderr
    receive, = find(done.calls, "aws", "sqs", "receive-message")
    assert flag(receive, "--queue-url") == OUTPUTS["EmbedDeadLetterQueueUrl"]
    move, = find(fake("dlq", "dev", "replay", "embed").calls, "aws", "sqs",
                 "start-message-move-task")
    assert flag(move, "--source-arn") == OUTPUTS["EmbedDeadLetterQueueArn"]


def test_deploy_needs_every_zip_the_template_names_and_packages_them_together(fake):
    """The embedder layer's zip is a local artifact of sam.json, as the app's is: the one
    `aws cloudformation package` call uploads both (the layer through S3: over 50 MiB)."""
    sam = fake.dist / "dev" / "sam.json"
    sam.write_text(json.dumps({"Resources": {
        "APIHandler": {"Properties": {"CodeUri": "./deployment.zip"}},
        "EmbedderLayer": {"Properties": {"ContentUri": "./embedder-layer.zip"}}}}))
    done = fake("deploy", "dev", FAKE_BUCKET_EXISTS="1")
    assert done.returncode != 0 and "embedder-layer.zip is missing" in done.stderr
    assert not find(done.calls, "aws", "cloudformation")
    (fake.dist / "dev" / "embedder-layer.zip").write_bytes(b"PK")
    done = fake("deploy", "dev", FAKE_BUCKET_EXISTS="1")
    assert done.returncode == 0, done.stderr
    package, = find(done.calls, "aws", "cloudformation", "package")
    assert flag(package, "--template-file") == str(sam)


def test_the_mail_sender_is_a_stack_parameter_given_by_mail_from(fake):
    done = fake("deploy", "dev", MAIL_FROM="no-reply@example.org")
    assert done.returncode == 0, done.stderr
    deploy, = find(done.calls, "aws", "cloudformation", "deploy")
    assert deploy[deploy.index("--parameter-overrides") + 1:] == [
        "MailFrom=no-reply@example.org"]


def test_keys_commands_reach_the_stage_key_tool(fake):
    done = fake("keys", "prod", "create", "--role", "partner", "--name", "acme")
    assert done.returncode == 0, done.stderr
    assert ["python", "-m", "infra.stage_keys", "--stack", "professionals-prod", "create",
            "--role", "partner", "--name", "acme"] in done.calls


# -- partner keys and API Gateway ---------------------------------------------------------------

def test_sync_gives_each_active_partner_key_its_usage_plan_key(store):
    import boto3
    from chalicelib import auth
    from infra import stage_keys
    apigw = boto3.client("apigateway", region_name="us-east-1")
    plan = apigw.create_usage_plan(name="partner")["id"]
    info = stage_keys.StageInfo(table="professionals-test", plan_id=plan,
                                prefix="professionals-dev-usage-plan-key-partner-")
    _, acme = auth.create_key("partner", "acme")
    _, globex = auth.create_key("partner", "globex")
    auth.create_key("staff", "ops")  # staff keys share the template's key
    first = stage_keys.sync(info, apigw)
    assert sorted(first.created) == sorted([acme.key_id, globex.key_id])
    assert sorted(first.attached) == sorted(first.created)

    def registered():
        keys = apigw.get_api_keys(includeValues=True)["items"]
        in_plan = {k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=plan)["items"]}
        return {k["value"] for k in keys if k["id"] in in_plan}

    assert registered() == {info.prefix + acme.key_id, info.prefix + globex.key_id}
    again = stage_keys.sync(info, apigw)
    assert again.created == [] and again.deleted == [] and len(again.unchanged) == 2
    auth.revoke_key(globex.key_id)
    after = stage_keys.sync(info, apigw)
    assert after.deleted == [globex.key_id]
    assert registered() == {info.prefix + acme.key_id}


def test_stage_info_comes_from_the_stack_outputs():
    import boto3
    from botocore.stub import Stubber
    from infra import stage_keys
    cloudformation = boto3.client("cloudformation", region_name="eu-west-1")
    with Stubber(cloudformation) as stub:
        stub.add_response("describe_stacks", {"Stacks": [{
            "StackName": "professionals-dev", "CreationTime": "2026-11-26T00:00:00Z",
            "StackStatus": "UPDATE_COMPLETE", "Outputs": [
                {"OutputKey": "TableName", "OutputValue": "professionals-dev"},
                {"OutputKey": "PartnerUsagePlanId", "OutputValue": "plan1"},
                {"OutputKey": "PartnerUsageKeyPrefix", "OutputValue": "p-"}]}]},
            {"StackName": "professionals-dev"})
        info = stage_keys.stage_info("professionals-dev", cloudformation)
    assert info == stage_keys.StageInfo("professionals-dev", "plan1", "p-", "eu-west-1")


def test_the_deploy_script_documents_itself():
    done = subprocess.run(["bash", str(DEPLOY)], capture_output=True, text=True)
    assert done.returncode == 2 and "deploy   STAGE" in done.stderr
    assert Path(PROJECT_ROOT / "docs" / "operations.md").exists()


# -- releases and rollback, against a fake S3 that keeps what is written (issue 14) ----------

BUCKET = "professionals-artifacts-123456789012-eu-west-1"


@pytest.fixture
def releases(fake, tmp_path):
    """Releases a, b, c in a fake artifact bucket; ``live()`` reads the record of what is live."""
    s3 = tmp_path / "s3"
    prefix = s3 / BUCKET / "professionals-dev"
    (prefix / "releases").mkdir(parents=True)
    for name in ("a", "b", "c"):
        (prefix / "releases" / f"2026112{'abc'.index(name)}T100000Z-{name}.json").write_text(
            json.dumps({"release": name}))

    def run(*args, **env):
        return fake(*args, FAKE_BUCKET_EXISTS="1", FAKE_S3=str(s3), **env)

    def live():
        return [line.rsplit("-", 1)[1] for line in
                (prefix / "deployed.txt").read_text().split()]

    def deployed_template():
        return json.loads((fake.dist / "dev" / "rollback.json").read_text())

    run.live, run.deployed_template, run.prefix = live, deployed_template, prefix
    return run


def test_rollbacks_walk_back_through_what_was_live_and_a_deploy_is_recorded(releases):
    (releases.prefix / "deployed.txt").write_text(
        "".join(f"2026112{i}T100000Z-{n}\n" for i, n in enumerate("abc")))
    done = releases("rollback", "dev")
    assert done.returncode == 0, done.stderr
    assert releases.deployed_template() == {"release": "b"} and releases.live() == ["a", "b"]
    done = releases("rollback", "dev")  # twice in a row: one more step back, not b again
    assert done.returncode == 0, done.stderr
    assert releases.deployed_template() == {"release": "a"} and releases.live() == ["a"]
    done = releases("rollback", "dev")
    assert done.returncode != 0 and "no release to go back to" in done.stderr
    assert not find(done.calls, "aws", "cloudformation", "deploy")
    assert releases.live() == ["a"]

    done = releases("deploy", "dev")  # a new release from the working tree
    assert done.returncode == 0, done.stderr
    new = releases.live()[-1]
    assert releases.live() == ["a", new] and new not in "abc"
    stored = [p.name for p in (releases.prefix / "releases").iterdir()]
    assert len(stored) == 4
    # Back from the new one: to a, what was live before it, not c (rolled back from).
    done = releases("rollback", "dev")
    assert done.returncode == 0, done.stderr
    assert releases.deployed_template() == {"release": "a"} and releases.live() == ["a"]

    done = releases("rollback", "dev", "20261122T100000Z-c")  # a named release goes on top
    assert done.returncode == 0, done.stderr
    assert releases.deployed_template() == {"release": "c"} and releases.live() == ["a", "c"]
    done = releases("releases", "dev")
    assert done.stdout.split()[:3] == ["20261120T100000Z-a", "20261121T100000Z-b",
                                       "20261122T100000Z-c"]
    assert "live: 20261122T100000Z-c" in done.stderr
    done = releases("rollback", "dev", "20261129T100000Z-nope")
    assert done.returncode != 0 and "no release 20261129T100000Z-nope" in done.stderr
    assert releases.live() == ["a", "c"]


def test_a_stack_deployed_before_the_record_existed_rolls_back_by_release_order(releases):
    done = releases("rollback", "dev")
    assert done.returncode == 0, done.stderr
    assert releases.deployed_template() == {"release": "b"} and releases.live() == ["a", "b"]
