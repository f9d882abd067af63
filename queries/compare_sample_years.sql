-- Years whose projects come from the shipped sample files named in $files (to label them 示例).
SELECT DISTINCT year, source_file FROM projects WHERE list_contains($files, source_file) ORDER BY year, source_file
