-- The address of a video call, for interviews held by video: the coordinator books it,
-- the participant sees it in the app. Empty for other interviews.
ALTER TABLE interviews
    ADD COLUMN video_link text NOT NULL DEFAULT ''
        CHECK (length(video_link) <= 500);
