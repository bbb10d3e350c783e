"""``python -m infra.template --stage dev [-o dist/dev/merge.json]``."""
import sys

from infra.template import main

sys.exit(main())
