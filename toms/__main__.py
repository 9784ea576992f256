import sys

from toms.cli import main

sys.exit(main())
