#!/usr/bin/env bash
# Deploys a stage with the AWS CLI (v2) and the caller's credentials; see docs/operations.md.
#
#   infra/deploy.sh deploy   STAGE              package, upload, deploy the stack, sync partner keys, print URLs
#   infra/deploy.sh spa      STAGE              build the SPA and publish it behind CloudFront
#   infra/deploy.sh outputs  STAGE              the stack's outputs (URLs, names)
#   infra/deploy.sh releases STAGE              templates deployed so far (newest last), and which one is live
#   infra/deploy.sh rollback STAGE [RELEASE]    deploy a previous release again (default: the one live before the current one)
#   infra/deploy.sh dlq      STAGE show|replay [mail|embed]  look at the upload (mail, embed) dead-letter queue / move its messages back
#   infra/deploy.sh keys     STAGE create|list|revoke|sync ...   API keys of the stage (infra/stage_keys.py)
#   infra/deploy.sh staff    STAGE add|group|disable|list ...    staff accounts of the stage (infra/staff.py)
#
# Settings (environment): AWS_PROFILE / AWS_REGION as for any AWS CLI call; STACK_NAME
# (professionals-STAGE); ARTIFACT_BUCKET (professionals-artifacts-ACCOUNT-REGION, created when
# missing); ALARM_EMAIL and MAIL_FROM (stack parameters; MAIL_FROM is required when the stack is
# created; kept when unset);
# SKIP_PACKAGE=1 (dist/STAGE is already packaged, e.g. by `make package`); SKIP_SPA_BUILD=1 and
# SPA_DIST (frontend/dist); PYTHON (.venv/bin/python); DIST (dist).
set -euo pipefail
cd "$(dirname "$0")/.."

APP=professionals
PYTHON=${PYTHON:-.venv/bin/python}
DIST=${DIST:-dist}
say() { printf '%s\n' "$*" >&2; }
die() { say "deploy: $*"; exit 1; }

command=${1:-}
STAGE=${2:-}
[[ -n "$command" && -n "$STAGE" ]] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ "$STAGE" =~ ^[a-z][a-z0-9-]*$ ]] || die "bad stage name '$STAGE'"
[[ "$STAGE" != local && "$STAGE" != test ]] || die "stage '$STAGE' is for local runs and tests only"
shift 2
STACK=${STACK_NAME:-$APP-$STAGE}

command -v aws >/dev/null || die "the AWS CLI (v2) is not installed"
REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-$(aws configure get region 2>/dev/null || true)}}
[[ -n "$REGION" ]] || die "no AWS region: set AWS_REGION"
export AWS_REGION=$REGION AWS_DEFAULT_REGION=$REGION

account() { aws sts get-caller-identity --query Account --output text; }

output() {  # output NAME: one output of the stack
  local value
  value=$(aws cloudformation describe-stacks --stack-name "$STACK" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text)
  [[ -n "$value" && "$value" != None ]] || die "stack $STACK has no output $1 (deployed?)"
  printf '%s\n' "$value"
}

artifact_bucket() {
  local bucket=${ARTIFACT_BUCKET:-$APP-artifacts-$(account)-$REGION}
  if ! aws s3api head-bucket --bucket "$bucket" >/dev/null 2>&1; then
    say "creating the artifact bucket $bucket"
    if [[ "$REGION" == us-east-1 ]]; then
      aws s3api create-bucket --bucket "$bucket" >/dev/null
    else
      aws s3api create-bucket --bucket "$bucket" \
        --create-bucket-configuration "LocationConstraint=$REGION" >/dev/null
    fi
    aws s3api put-public-access-block --bucket "$bucket" --public-access-block-configuration \
      BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
    aws s3api put-bucket-encryption --bucket "$bucket" --server-side-encryption-configuration \
      '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'
  fi
  printf '%s\n' "$bucket"
}

deploy_template() {  # deploy_template FILE BUCKET: create or update the stack from a packaged template
  local overrides=()
  [[ -z "${ALARM_EMAIL:-}" ]] || overrides+=("AlarmEmail=$ALARM_EMAIL")
  [[ -z "${MAIL_FROM:-}" ]] || overrides+=("MailFrom=$MAIL_FROM")
  # The functions read the signing secret at run time: a rotation needs no deploy, and the
  # stack has no SigningSecretRevision parameter any more (CloudFormation refuses unknown ones).
  [[ -z "${SIGNING_SECRET_REVISION:-}" ]] || say "SIGNING_SECRET_REVISION is ignored: the" \
    "functions read a rotated secret within minutes (docs/operations.md, 'Rotating the signing secret')"
  aws cloudformation deploy --template-file "$1" --stack-name "$STACK" \
    --s3-bucket "$2" --s3-prefix "$STACK" \
    --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
    --no-fail-on-empty-changeset --tags "app=$APP" "stage=$STAGE" \
    ${overrides[@]+--parameter-overrides "${overrides[@]}"}
}

# What is live is a stack of releases in s3://BUCKET/STACK/deployed.txt, newest last: a deploy
# (or a rollback to a named release) pushes one; a rollback without a name pops the live one and
# deploys the one under it. So two rollbacks go back two steps, and a rollback after the next
# deploy returns to what was live before it, not to a release that was rolled back from.
deployed() {  # deployed BUCKET: the stack, one release a line (before this record existed: every release)
  aws s3 cp "s3://$1/$STACK/deployed.txt" - 2>/dev/null \
    || aws s3 ls "s3://$1/$STACK/releases/" | awk '{print $4}' | sed 's/\.json$//' | sort
}

record_deployed() {  # record_deployed BUCKET LINES: replace the stack
  printf '%s' "$2" | aws s3 cp - "s3://$1/$STACK/deployed.txt" >/dev/null
}

show_urls() {
  say ""
  say "stack $STACK ($REGION):"
  say "  site  $(output SiteUrl)"
  say "  API   $(output SiteApiUrl)   (also $(output ApiUrl))"
  say "  docs  $(output SiteApiUrl)/docs"
}

case "$command" in
  deploy)
    if [[ "${SKIP_PACKAGE:-}" != 1 ]]; then
      "$PYTHON" -m infra.package --stage "$STAGE"
    fi
    [[ -f "$DIST/$STAGE/sam.json" && -f "$DIST/$STAGE/deployment.zip" ]] \
      || die "$DIST/$STAGE is not packaged (make package STAGE=$STAGE)"
    # Every local zip the template names (the app's, the embedder runtime layer's): `aws
    # cloudformation package` uploads each to the artifact bucket and names it by its S3 key
    # there (the layer, 58 MiB, is over Lambda's 50 MiB direct upload: it must come from S3).
    for artifact in $(grep -o '"\./[A-Za-z0-9._-]*\.zip"' "$DIST/$STAGE/sam.json" | tr -d '"' | sort -u); do
      [[ -f "$DIST/$STAGE/$artifact" ]] || die "$DIST/$STAGE/$artifact is missing (make package STAGE=$STAGE)"
    done
    bucket=$(artifact_bucket)
    aws cloudformation package --template-file "$DIST/$STAGE/sam.json" \
      --s3-bucket "$bucket" --s3-prefix "$STACK" \
      --output-template-file "$DIST/$STAGE/packaged.json" >/dev/null
    deploy_template "$DIST/$STAGE/packaged.json" "$bucket"
    release="$(date -u +%Y%m%dT%H%M%SZ)-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    aws s3 cp "$DIST/$STAGE/packaged.json" "s3://$bucket/$STACK/releases/$release.json" >/dev/null
    history=$(deployed "$bucket" | grep -vx -e "$release" -e "" || true)
    record_deployed "$bucket" "${history:+$history
}$release
"
    say "release $release recorded (infra/deploy.sh rollback $STAGE to go back)"
    "$PYTHON" -m infra.stage_keys --stack "$STACK" sync
    show_urls
    ;;

  spa)
    spa_dist=${SPA_DIST:-frontend/dist}
    if [[ "${SKIP_SPA_BUILD:-}" != 1 ]]; then
      # The SPA calls /api on its own origin: CloudFront sends /api/* to API Gateway.
      (cd frontend && npm ci --no-audit --no-fund --loglevel=error \
        && VITE_API_BASE_URL=/api npm run build)
    fi
    [[ -f "$spa_dist/index.html" ]] || die "no $spa_dist/index.html: build the SPA first"
    bucket=$(output SpaBucketName)
    distribution=$(output DistributionId)
    # Hashed assets never change: cached for a year. Everything else is revalidated, so a new
    # index.html (naming new assets) is seen at once; old assets stay for pages still open.
    aws s3 sync "$spa_dist/assets" "s3://$bucket/assets" \
      --cache-control "public,max-age=31536000,immutable" --only-show-errors
    aws s3 sync "$spa_dist" "s3://$bucket" --exclude "assets/*" --exclude ".vite/*" \
      --cache-control "no-cache" --delete --only-show-errors
    aws cloudfront create-invalidation --distribution-id "$distribution" --paths "/*" \
      --query Invalidation.Id --output text >/dev/null
    say "SPA published: $(output SiteUrl)"
    ;;

  outputs)
    aws cloudformation describe-stacks --stack-name "$STACK" --query "Stacks[0].Outputs" \
      --output table
    ;;

  releases)
    bucket=$(artifact_bucket)
    aws s3 ls "s3://$bucket/$STACK/releases/" | awk '{print $4}' | sed 's/\.json$//' | sort
    say "live: $(deployed "$bucket" | tail -n 1)"
    ;;

  rollback)
    bucket=$(artifact_bucket)
    history=$(deployed "$bucket" | grep . || true)
    release=${1:-}
    if [[ -z "$release" ]]; then
      [[ $(printf '%s\n' "$history" | grep -c .) -ge 2 ]] \
        || die "no release to go back to for $STACK (live: ${history:-none}); name one: infra/deploy.sh releases $STAGE"
      history=$(printf '%s\n' "$history" | sed '$d')  # the live one goes
      release=$(printf '%s\n' "$history" | tail -n 1)
    else
      history=$(printf '%s\n' "$history" | grep -vx -e "$release" -e "" || true)
      history="${history:+$history
}$release"
    fi
    mkdir -p "$DIST/$STAGE"
    aws s3 cp "s3://$bucket/$STACK/releases/$release.json" "$DIST/$STAGE/rollback.json" >/dev/null \
      || die "no release $release (infra/deploy.sh releases $STAGE)"
    say "deploying release $release again"
    deploy_template "$DIST/$STAGE/rollback.json" "$bucket"
    record_deployed "$bucket" "$history
"
    say "live: $release"
    show_urls
    ;;

  dlq)
    queue=""  # the upload queue's; "mail": the mail queue's; "embed": the embed queue's
    case "${2:-}" in
      "") ;;
      mail) queue=Mail ;;
      embed) queue=Embed ;;
      *) die "dlq: the queue is the upload queue's (default), mail or embed" ;;
    esac
    case "${1:-show}" in
      show)
        url=$(output "${queue}DeadLetterQueueUrl")
        aws sqs get-queue-attributes --queue-url "$url" --attribute-names \
          ApproximateNumberOfMessages ApproximateNumberOfMessagesNotVisible --output table
        # A peek: the messages become visible again after 60 s.
        aws sqs receive-message --queue-url "$url" --max-number-of-messages 10 \
          --visibility-timeout 60 --wait-time-seconds 1 --attribute-names All \
          --query "Messages[].{id:MessageId,received:Attributes.ApproximateReceiveCount,sent:Attributes.SentTimestamp,body:Body}" \
          --output json
        ;;
      replay)
        arn=$(output "${queue}DeadLetterQueueArn")
        # Moves every message back to the queue it came from (upload, mail or embed queue).
        aws sqs start-message-move-task --source-arn "$arn"
        aws sqs list-message-move-tasks --source-arn "$arn" --max-results 1
        ;;
      *) die "dlq: show or replay" ;;
    esac
    ;;

  keys)
    "$PYTHON" -m infra.stage_keys --stack "$STACK" "$@"
    ;;

  staff)
    # The stage's pool, from the stack's outputs (TABLE_NAME too: never a local stack's pool).
    COGNITO_USER_POOL_ID=$(output StaffUserPoolId) COGNITO_CLIENT_ID=$(output StaffUserPoolClientId) \
      TABLE_NAME=$(output TableName) "$PYTHON" -m infra staff "$@"
    ;;

  *)
    die "unknown command '$command'"
    ;;
esac
