mod upload;
