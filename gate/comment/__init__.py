"""The verdict as one pull request comment, updated in place: where it goes, its text, and GitHub's API."""
